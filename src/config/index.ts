export { type EmulatorConfig, loadEmulatorConfig } from './emulator.ts';
export {
  DEFAULT_IMS_URL,
  DEFAULT_SCOPES,
  DEMO_TENANT,
  type GatewayConfig,
  type GraphqlLimits,
  loadGatewayConfig,
  type ServiceCredential,
  type SubscriptionLimits,
  type UpstreamSettings,
} from './gateway.ts';
export { ConfigError, type Env } from './parse.ts';
export {
  EMULATOR_LISTENER,
  GATEWAY_LISTENER,
  type ListenerVariables,
  listenProblem,
  unreachableUpstreamProblem,
} from './start-problems.ts';
