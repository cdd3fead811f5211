// Readiness check for a test IMAP server: a bare socket that reads the greeting,
// logs in and out. An open port alone is not enough (the auth process may still
// be starting), and a bare socket keeps the check free of client-library state.
import { connect } from 'node:net';

export function imapLoginWorks(
  host: string,
  port: number,
  user: string,
  password: string,
  timeoutMs = 2_000,
): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let buffered = '';
    let loginSent = false;
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.on('error', () => finish(false));
    socket.on('close', () => resolve(false));
    socket.on('data', (chunk) => {
      buffered += chunk.toString('latin1');
      if (!loginSent && /^\* OK/m.test(buffered)) {
        loginSent = true;
        socket.write(`a1 LOGIN "${user}" "${password}"\r\n`);
      }
      const tagged = /^a1 (OK|NO|BAD)/m.exec(buffered);
      if (tagged) {
        if (tagged[1] === 'OK') socket.write('a2 LOGOUT\r\n');
        finish(tagged[1] === 'OK');
      }
    });
  });
}
