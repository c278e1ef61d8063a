export { loadConfig, loadConfigOrExit, ConfigError, envSchema, replicaUrls } from './loadConfig';
export { NOTIFIER_ROLES } from './pipelineEnv';
export type { NotifierRole } from './pipelineEnv';
export type { Config, ConfigContext, Env, LogFormat } from './loadConfig';
export { isLoopbackHost } from './isLoopbackHost';
export type { Rate, Backoff } from './limitsEnv';
export { adminPortFor, DEV_CORS_ORIGINS } from './surface';
export type { Surface, TrustedDocumentsMode } from './surface';
