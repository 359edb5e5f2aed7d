// SPDX-License-Identifier: MIT
import { defineConfig } from 'vite';

// Served by the gateway at /console/ (ConsoleEndpoint); the Maven build writes the output into the jar.
export default defineConfig({
  base: '/console/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 400,
  },
});
