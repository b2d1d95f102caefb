import type { AlertEndpoint } from '../alert-config.ts';
import type { AlertMessage } from './alert-message.ts';
import type { SendContext } from './channel.ts';
import { dingtalkChannel } from './dingtalk.ts';
import { createEmailChannel } from './email.ts';
import { feishuChannel } from './feishu.ts';
import { smsChannel } from './sms.ts';
import { wecomChannel } from './wecom.ts';

// The alert channels as a table: endpoint kind → adapter.

export interface AlertChannels {
  send(endpoint: AlertEndpoint, to: string | null, message: AlertMessage, ctx: SendContext): Promise<void>;
  close(): void;
}

export function createAlertChannels(): AlertChannels {
  const email = createEmailChannel();
  return {
    send(endpoint, to, message, ctx) {
      switch (endpoint.kind) {
        case 'wecom': return wecomChannel.send(endpoint, to, message, ctx);
        case 'dingtalk': return dingtalkChannel.send(endpoint, to, message, ctx);
        case 'feishu': return feishuChannel.send(endpoint, to, message, ctx);
        case 'email': return email.send(endpoint, to, message, ctx);
        case 'sms': return smsChannel.send(endpoint, to, message, ctx);
      }
    },
    close: () => email.close(),
  };
}

export type { AlertMessage, AlertField } from './alert-message.ts';
export { alertMarkdown, alertText, alertSms } from './alert-message.ts';
export type { AlertChannel, SendContext } from './channel.ts';
export { dingtalkSign } from './dingtalk.ts';
export { feishuSign } from './feishu.ts';
export { fillTemplate, smsRequest } from './sms.ts';
