#!/usr/bin/env node
// Launcher for the TypeScript CLI: registers tsx's loader, then runs cli/main.ts.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
