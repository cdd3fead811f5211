// The web app, served by the api role at / beside the API at /v1: one HTML
// page, its ES modules and styles (src/web/public) and the front-end
// libraries straight from their npm packages (no CDN, no build step). Every
// response carries a strict Content-Security-Policy: scripts only from this
// origin (plus the page's one import map, by hash), no inline script, no
// plugins, no framing of the app, and requests only to this origin.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

// The page's files are not TypeScript, so the compiled build (dist/src/web/)
// has none: it serves them from the source tree beside it, as `npm start` and
// the Docker image both ship src/.
const PUBLIC_DIR = [
  join(import.meta.dirname, 'public'),
  join(import.meta.dirname, '..', '..', '..', 'src', 'web', 'public'),
].find((dir) => existsSync(join(dir, 'index.html')));

// The import map names these paths; each is the package's own browser ES module
// (or, for uPlot, its stylesheet).
const VENDOR: Record<string, string> = {
  'preact.mjs': 'preact',
  'preact-hooks.mjs': 'preact/hooks',
  'htm.mjs': 'htm',
  // uPlot's package.json names its ES module in "module" only, which Node's
  // resolver does not read: the file is named.
  'uplot.mjs': 'uplot/dist/uPlot.esm.js',
  'uplot.css': 'uplot/dist/uPlot.min.css',
};

function importMapHash(html: string): string {
  const match = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html);
  if (!match?.[1]) throw new Error('src/web/public/index.html has no import map');
  return `'sha256-${createHash('sha256').update(match[1]).digest('base64')}'`;
}

/**
 * img-src allows remote images because a person may choose to show a mail's
 * remote images; until then the server's sanitizer drops them and the mail
 * frame's own policy forbids them (public/mail-frame.js). style-src allows
 * inline styles because sanitized mail keeps its inline styling; no script
 * can be inline.
 */
function contentSecurityPolicy(scriptHash: string): string {
  return [
    "default-src 'none'",
    `script-src 'self' ${scriptHash}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob: https: http:",
    "connect-src 'self'",
    "frame-src 'self'",
    "font-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

function secureHeaders(reply: FastifyReply, csp: string): void {
  void reply
    .header('content-security-policy', csp)
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    // Links in mail open other sites: they learn nothing of the case URL.
    .header('referrer-policy', 'no-referrer')
    .header('cross-origin-opener-policy', 'same-origin');
}

export function webAppRoutes() {
  if (!PUBLIC_DIR) throw new Error("the web app's files (src/web/public) are missing");
  const root = PUBLIC_DIR;
  const html = readFileSync(join(root, 'index.html'), 'utf8');
  const csp = contentSecurityPolicy(importMapHash(html));
  const vendor = new Map(
    Object.entries(VENDOR).map(([file, specifier]) => [
      file,
      readFileSync(fileURLToPath(import.meta.resolve(specifier)), 'utf8'),
    ]),
  );

  return async (app: FastifyInstance): Promise<void> => {
    await app.register(async (web) => {
      web.addHook('onSend', async (_request, reply) => secureHeaders(reply, csp));

      web.get('/', async (_request, reply) =>
        reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(html),
      );

      web.get<{ Params: { file: string } }>('/app/vendor/:file', async (request, reply) => {
        const source = vendor.get(request.params.file);
        if (source === undefined) return reply.callNotFound();
        const type = request.params.file.endsWith('.css') ? 'text/css' : 'text/javascript';
        return reply
          .type(`${type}; charset=utf-8`)
          .header('cache-control', 'public, max-age=3600')
          .send(source);
      });

      await web.register(fastifyStatic, {
        root,
        prefix: '/app/',
        // index.html is served at / only, with its policy.
        index: false,
        allowedPath: (path) => !path.endsWith('.html'),
        cacheControl: true,
        maxAge: '5m',
      });
    });
  };
}
