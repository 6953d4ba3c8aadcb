import { defineConfig } from 'vitest/config';

// The examples' vitest run (CI runs it): they import the package by name, as a user's tests would.
export default defineConfig({
  test: { include: ['examples/**/*.vitest.mjs'], testTimeout: 30_000, hookTimeout: 30_000 },
});
