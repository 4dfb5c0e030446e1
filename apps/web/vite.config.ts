import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The API server (apps/server) serves the built files from dist/ at `/`; in development
// this dev server forwards the API to it (`npm run dev -w apps/web` with the server on :3000).
const apiTarget = 'http://localhost:3000';

/** Libraries in their own long-cached files, apart from the app's code that changes often. */
function vendorChunk(id: string): string | undefined {
  if (!id.includes('node_modules')) return undefined;
  if (id.includes('/@mantine/') || id.includes('/@floating-ui/')) return 'mantine';
  if (id.includes('/zod/')) return 'zod';
  return 'vendor';
}

export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    rollupOptions: {
      output: { manualChunks: vendorChunk },
      onwarn(warning, warn) {
        // zod's sources carry /*#__PURE__*/ comments in places Rollup cannot use; harmless.
        if (warning.code === 'INVALID_ANNOTATION' && warning.id?.includes('node_modules')) return;
        warn(warning);
      },
    },
  },
  server: {
    proxy: {
      '/api': { target: apiTarget },
      '/health': { target: apiTarget },
    },
  },
});
