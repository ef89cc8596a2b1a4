import { type Static, Type } from 'typebox';

/** Alertmanager's webhook body (version 4). Extra members are allowed: Alertmanager may add some. */
const LabelSet = Type.Record(Type.String(), Type.String());

export const AlertSchema = Type.Object({
  status: Type.Union([Type.Literal('firing'), Type.Literal('resolved')]),
  labels: LabelSet,
  annotations: Type.Optional(LabelSet),
  startsAt: Type.Optional(Type.String()),
  endsAt: Type.Optional(Type.String()),
  generatorURL: Type.Optional(Type.String()),
  fingerprint: Type.Optional(Type.String()),
});

export const AlertmanagerPayloadSchema = Type.Object({
  version: Type.Optional(Type.String()),
  status: Type.Union([Type.Literal('firing'), Type.Literal('resolved')]),
  receiver: Type.Optional(Type.String()),
  groupKey: Type.Optional(Type.String()),
  truncatedAlerts: Type.Optional(Type.Integer({ minimum: 0 })),
  groupLabels: Type.Optional(LabelSet),
  commonLabels: Type.Optional(LabelSet),
  commonAnnotations: Type.Optional(LabelSet),
  externalURL: Type.Optional(Type.String()),
  alerts: Type.Array(AlertSchema, { minItems: 1, maxItems: 1000 }),
});

export type Alert = Static<typeof AlertSchema>;
export type AlertmanagerPayload = Static<typeof AlertmanagerPayloadSchema>;

const MAX_LISTED = 10;

/** One Slack message for one Alertmanager group: a headline, then one line per alert (capped). */
export function formatSlackText(payload: AlertmanagerPayload): string {
  const firing = payload.alerts.filter((a) => a.status === 'firing');
  const resolved = payload.alerts.filter((a) => a.status === 'resolved');
  const common = payload.commonLabels ?? {};
  const name = common.alertname ?? payload.groupLabels?.alertname ?? 'QueueTicket alert';
  const severity = common.severity === undefined ? '' : ` (${common.severity})`;
  const icon =
    payload.status === 'firing'
      ? common.severity === 'critical'
        ? ':rotating_light:'
        : ':warning:'
      : ':white_check_mark:';
  const counts = [
    firing.length > 0 ? `${firing.length} firing` : '',
    resolved.length > 0 ? `${resolved.length} resolved` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const lines = [`${icon} *[${payload.status.toUpperCase()}] ${name}*${severity}: ${counts}`];
  const summary = payload.commonAnnotations?.summary;
  if (summary !== undefined) lines.push(summary);
  for (const alert of payload.alerts.slice(0, MAX_LISTED)) lines.push(`• ${describe(alert, common)}`);
  const more = payload.alerts.length - MAX_LISTED + (payload.truncatedAlerts ?? 0);
  if (more > 0) lines.push(`…and ${more} more`);
  const runbook = payload.commonAnnotations?.runbook_url;
  if (runbook !== undefined) lines.push(`Runbook: ${runbook}`);
  if (payload.externalURL !== undefined) lines.push(`Alertmanager: ${payload.externalURL}`);
  return lines.join('\n');
}

function describe(alert: Alert, common: Record<string, string>): string {
  const own = Object.entries(alert.labels)
    .filter(([k, v]) => k !== 'alertname' && common[k] !== v)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const text = alert.annotations?.description ?? alert.annotations?.summary ?? alert.labels.alertname ?? '';
  const state = alert.status === 'resolved' ? '[resolved] ' : '';
  return `${state}${text}${own === '' ? '' : ` (${own})`}`;
}
