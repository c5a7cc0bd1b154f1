// The portal is served by callhook under /portal (see README). `npm run dev -w portal` (and
// `vite preview`) proxy the API to a callhook at CALLHOOK_URL (default http://localhost:8080), so
// the session cookie stays same-origin.
import { defineConfig, loadEnv } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig(({ mode }) => {
  const env = loadEnv(mode, '.', 'CALLHOOK_');
  const proxy = { '/v1': { target: env.CALLHOOK_URL ?? 'http://localhost:8080', changeOrigin: false } };
  return {
    base: '/portal/',
    plugins: [react()],
    build: { outDir: 'dist', emptyOutDir: true },
    server: { proxy },
    preview: { proxy },
  };
});
