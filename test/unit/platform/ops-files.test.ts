// The shipped Grafana dashboard and Prometheus alert rules (ops/) may only
// name metrics Postroom registers: a renamed metric must not leave a dashboard
// panel empty or an alert that can never fire.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { createMetrics } from '../../../src/platform/metrics.ts';

const OPS = new URL('../../../ops/', import.meta.url);

function registeredNames(): Set<string> {
  const names = new Set<string>();
  for (const metric of createMetrics().registry.getMetricsAsArray()) {
    names.add(metric.name);
    // A histogram is queried through its series.
    if (String(metric.type) === 'histogram')
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(metric.name + suffix);
  }
  return names;
}

function referenced(expressions: string[]): string[] {
  return [...new Set(expressions.flatMap((expr) => expr.match(/\bpostroom_[a-z_]+/g) ?? []))];
}

interface AlertFile {
  groups: Array<{
    rules: Array<{ alert: string; expr: string; annotations: { summary: string } }>;
  }>;
}
interface Dashboard {
  panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
}

describe('ops/ files', () => {
  const names = registeredNames();

  test('every alert rule names registered metrics and says what to do', () => {
    // The rules file is written in YAML's JSON form, which Prometheus reads as YAML.
    const text = readFileSync(new URL('prometheus-alerts.yml', OPS), 'utf8');
    const alerts = JSON.parse(text.replace(/^#.*$/gm, '')) as AlertFile;
    const rules = alerts.groups.flatMap((group) => group.rules);
    assert.ok(rules.length >= 6);
    for (const rule of rules) {
      assert.ok(rule.annotations.summary.length > 0, `${rule.alert} has a summary`);
      for (const name of referenced([rule.expr]))
        assert.ok(names.has(name), `${rule.alert} names ${name}, which Postroom does not register`);
    }
    for (const needed of ['postroom_mailbox_auth_failures', 'postroom_queue_jobs'])
      assert.ok(
        referenced(rules.map((r) => r.expr)).includes(needed),
        `an alert watches ${needed}`,
      );
  });

  test('every dashboard panel queries registered metrics', () => {
    const dashboard = JSON.parse(
      readFileSync(new URL('grafana-dashboard.json', OPS), 'utf8'),
    ) as Dashboard;
    assert.ok(dashboard.panels.length > 0);
    for (const panel of dashboard.panels) {
      const used = referenced(panel.targets.map((t) => t.expr));
      assert.ok(used.length > 0, `panel "${panel.title}" queries a Postroom metric`);
      for (const name of used)
        assert.ok(
          names.has(name),
          `panel "${panel.title}" names ${name}, which Postroom does not register`,
        );
    }
  });
});
