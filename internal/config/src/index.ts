export { loadConfig, loadConfigOrExit, ConfigError, envSchema } from './loadConfig';
export type { Config, Env } from './loadConfig';
