export { loadConfig, loadConfigOrExit, ConfigError, envSchema } from './loadConfig';
export type { Config, ConfigContext, Env, LogFormat } from './loadConfig';
