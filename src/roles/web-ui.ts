import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import { AppError } from '../platform/errors.ts';
import type { HttpApp } from '../platform/http/app.ts';

/** Where `make web` (vite build) writes the single-page app. */
export const WEB_DIST_DIR = fileURLToPath(new URL('../../web/dist/', import.meta.url));

/** Paths that belong to the API and its tools: an unknown one is the JSON 404 problem, never the app. */
const API_PREFIXES = ['/api/', '/sandbox/', '/docs', '/metrics', '/healthz', '/readyz'];

/**
 * The web UI (public): built files from web/dist, and index.html for every other GET path so the
 * browser's router can take it (SPA fallback). Unknown API paths keep answering the JSON 404 problem.
 */
export async function registerWebUi(app: HttpApp, root: string = WEB_DIST_DIR): Promise<void> {
  await app.register(fastifyStatic, { root, serve: false });
  app.get('/*', { config: { auth: 'public' }, schema: { hide: true } }, async (request, reply) => {
    const path = decodeURIComponent(request.url.split('?')[0] ?? '/');
    if (API_PREFIXES.some((p) => path === p.replace(/\/$/, '') || path.startsWith(p))) {
      throw new AppError('not_found', 'NOT_FOUND', `no route GET ${path}`);
    }
    const file = path.replace(/^\/+/, '');
    if (file !== '' && !file.includes('..') && isFile(root + file)) {
      const immutable = file.startsWith('assets/');
      return reply.sendFile(file, {
        cacheControl: immutable,
        immutable,
        maxAge: immutable ? 31_536_000_000 : 0,
      });
    }
    // A missing file (a name with an extension) is a 404; any other path is a page of the app.
    if (/\.[a-z0-9]+$/i.test(file)) throw new AppError('not_found', 'NOT_FOUND', `no file ${path}`);
    if (!isFile(`${root}index.html`)) {
      throw new AppError('not_found', 'NOT_FOUND', 'the web UI is not built: run `make web`');
    }
    reply.header('cache-control', 'no-cache');
    return reply.sendFile('index.html', { cacheControl: false });
  });
}

function isFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile();
}
