/** Registered before each test file's hooks, so it runs after them (vitest runs after-hooks as a stack). */
import { afterAll } from 'vitest';
import { removeTempDirs } from '../helpers/temp-dir.js';

afterAll(removeTempDirs);
