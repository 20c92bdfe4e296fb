// Vite build of the renderer: a static web app in dist/renderer that the node serves on GET and
// the Electron window loads; relative asset paths (base './') so any mount point works.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  plugins: [react()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
  },
});
