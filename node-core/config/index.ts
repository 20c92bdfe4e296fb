/**
 * The configuration module's public API: load and validate harperdb-config.yaml with env and
 * flag overrides, the Config type, and the values derived from it.
 */
export {
  configSchema,
  defaultConfig,
  parseDuration,
  DEFAULT_MAX_BODY_SIZE,
  DEFAULT_ROOT_PATH,
  LOG_LEVELS,
  type Config,
  type ConfigInput,
  type DatabaseConfig,
  type LogLevel,
  type RouteConfig,
} from './schema.ts';
export { loadConfig, resolveRootPath, formatIssue, type LoadConfigOptions, type LoadedConfig } from './load.ts';
export { ConfigError, type ConfigIssue } from './errors.ts';
export { parseCliFlags, parseOverrideValue } from './overrides.ts';
export { CONFIG_FILE_NAME, configToYaml, updateConfigFile } from './file.ts';
export { bindHost, isLoopbackIp, nodeName, normalizeRoutes, replicationOnOpsPort, replicationPorts, replicationUrl } from './derived.ts';
export { normalizeRoute, parseRouteString, type NormalizedRoute, type RouteInput } from './routes.ts';
