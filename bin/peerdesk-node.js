#!/usr/bin/env node
// Launcher for the `peerdesk-node` bin: registers tsx in this process and runs node-core/cli.ts,
// which reads process.argv, handles SIGINT/SIGTERM and sets the exit code itself. In-process
// rather than a child, so a terminal's Ctrl+C reaches the node once (a second one aborts its stop).
import { register } from 'tsx/esm/api';

register();
await import('../node-core/cli.ts');
