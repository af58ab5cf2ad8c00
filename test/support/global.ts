import { startTestStack, stopTestStack } from './context.js';

export async function mochaGlobalSetup(): Promise<void> {
  const started = Date.now();
  await startTestStack();
  console.log(`  test stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

export async function mochaGlobalTeardown(): Promise<void> {
  await stopTestStack();
}
