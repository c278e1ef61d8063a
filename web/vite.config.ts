import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `npm run build -w web` writes dist/, which server.mjs serves (npm start, docker compose). `npm run dev -w web` is a
// development server with hot reload on the same port.
export default defineConfig({
  plugins: [react()],
  server: { host: '127.0.0.1', port: 3000, strictPort: true },
  build: { outDir: 'dist', sourcemap: true, target: 'es2022' },
});
