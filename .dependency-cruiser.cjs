/**
 * Module boundaries: a module under src/modules/<name>/ may be reached from outside only through
 * its public entry file `src/modules/<name>/index.ts`. Platform code never imports a module.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-reaching-into-other-modules',
      comment:
        'Use the other module through its index.ts (its exported use cases and events), never its internals.',
      severity: 'error',
      from: { path: '^src/modules/([^/]+)/' },
      to: {
        path: '^src/modules/([^/]+)/.+',
        pathNot: ['^src/modules/$1/', '^src/modules/[^/]+/index\\.ts$'],
      },
    },
    {
      name: 'roles-use-module-entry-points',
      comment: 'Roles wire modules through their index.ts only.',
      severity: 'error',
      from: { path: '^src/(roles|main\\.ts)' },
      to: { path: '^src/modules/[^/]+/.+', pathNot: '^src/modules/[^/]+/index\\.ts$' },
    },
    {
      name: 'platform-knows-no-module',
      comment: 'Platform is the floor: it must not depend on any business module.',
      severity: 'error',
      from: { path: '^src/platform/' },
      to: { path: '^src/modules/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
