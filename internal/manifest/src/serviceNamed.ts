import { SERVICES, type ServiceSpec } from './services';

/**
 * The manifest entry of a service.
 * @throws Error naming the known services when `name` is not one of them
 */
export function serviceNamed(name: string): ServiceSpec {
  const found = SERVICES.find((s) => s.name === name);
  if (!found) throw new Error(`unknown service ${name} (known: ${SERVICES.map((s) => s.name).join(', ')})`);
  return found;
}
