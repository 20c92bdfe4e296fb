// Ambient declarations for the renderer: side-effect CSS imports handled by Vite.
declare module '*.css' {}
