import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The web UI: built into web/dist and served by the api role at `/` (src/roles/web-ui.ts).
// `npx vite --config web/vite.config.ts` serves it with hot reload, proxying the API to HTTP_PORT.
const api = `http://127.0.0.1:${process.env.HTTP_PORT ?? '8080'}`;

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 600 },
  server: { proxy: { '/api': api, '/sandbox': api } },
});
