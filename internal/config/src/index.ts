export { loadConfig, loadConfigOrExit, ConfigError, envSchema, replicaUrls } from './loadConfig';
export type { Config, ConfigContext, Env, LogFormat } from './loadConfig';
