// Gateway configuration from the centre (issue 15, part B): a gateway's
// device list rendered from the registry into a versioned GatewayConfig,
// pushed retained on tz/v1/gw/{id}/down/config, applied/refused versions
// followed from the gateways' status.
export { renderGatewayConfig, type ConfigDevice, type ConfigGateway, type ConfigTransport, type RenderedConfig } from './render.ts';
export { GatewayConfigPublisher, type GatewayConfigPublisherDeps, type ConfigPublishChannel, type PushOutcome, type ConfigSyncState, type GatewayConfigView } from './config-publisher.ts';
export type { GatewayConfigRecord } from './config-ledger.ts';
