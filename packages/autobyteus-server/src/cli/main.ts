#!/usr/bin/env node
// Placeholder until the server lands: proves the package builds against the library as a user would.
import { LLMFactory } from 'autobyteus';

console.log(`autobyteus-server: not implemented yet (library loaded: ${typeof LLMFactory === 'function'})`);
