#!/usr/bin/env node
// Entry point for the `keel` command; the compiled CLI lives in dist/ (built by `npm ci` via `prepare`).
import '../dist/cli/main.js';
