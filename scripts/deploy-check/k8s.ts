import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';

/**
 * Kubernetes manifests: each object against the API schema of kubernetes-models (types, required
 * fields, formats), then strictly for unknown fields (what `kubectl apply --validate=strict` refuses
 * and what schemas let through: `readinesProbe:` would silently leave a pod without a probe).
 */
export interface K8sObject {
  file: string;
  apiVersion: string;
  kind: string;
  name: string;
  body: Record<string, unknown>;
}

export async function loadManifests(dir: string): Promise<{ objects: K8sObject[]; problems: string[] }> {
  const problems: string[] = [];
  const objects: K8sObject[] = [];
  const files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml').sort();
  for (const file of files) {
    const docs = parseAllDocuments(await readFile(join(dir, file), 'utf8'));
    for (const doc of docs) {
      if (doc.errors.length > 0) {
        problems.push(`${file}: YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
        continue;
      }
      const body = doc.toJS() as Record<string, unknown> | null;
      if (body === null) continue;
      const meta = body.metadata as { name?: string } | undefined;
      objects.push({
        file,
        apiVersion: String(body.apiVersion),
        kind: String(body.kind),
        name: meta?.name ?? '(unnamed)',
        body,
      });
    }
  }
  return { objects, problems };
}

const modulePath = (apiVersion: string, kind: string) => `kubernetes-models/${apiVersion}/${kind}`;

/** Schema validation with the models' compiled API schemas. */
export async function validateSchemas(objects: readonly K8sObject[]): Promise<string[]> {
  const problems: string[] = [];
  for (const o of objects) {
    let Model: new (data: unknown) => { validate(): void };
    try {
      const mod = (await import(modulePath(o.apiVersion, o.kind))) as Record<string, unknown>;
      Model = mod[o.kind] as typeof Model;
      if (typeof Model !== 'function') throw new Error('no model class');
    } catch {
      problems.push(`${o.file}: ${o.kind} ${o.name}: unknown apiVersion/kind ${o.apiVersion} ${o.kind}`);
      continue;
    }
    try {
      new Model(o.body).validate();
    } catch (error) {
      problems.push(
        `${o.file}: ${o.kind} ${o.name}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  return problems;
}

/** Unknown fields, found by walking each object against the models' TypeScript interfaces. */
export function findUnknownFields(objects: readonly K8sObject[], root: string): string[] {
  const kinds = [...new Set(objects.map((o) => `${o.apiVersion}|${o.kind}`))];
  const virtual = join(root, '__deploy_check_types__.ts');
  const text = kinds
    .map((k, i) => {
      const [apiVersion, kind] = k.split('|') as [string, string];
      return `import type { I${kind} as T${i} } from '${modulePath(apiVersion, kind)}';\nexport type K${i} = T${i};`;
    })
    .join('\n');
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile: read } = host;
  host.getSourceFile = (name, lang, ...rest) =>
    name === virtual ? ts.createSourceFile(name, text, lang) : getSourceFile.call(host, name, lang, ...rest);
  host.fileExists = (name) => name === virtual || fileExists.call(host, name);
  host.readFile = (name) => (name === virtual ? text : read.call(host, name));
  const program = ts.createProgram([virtual], options, host);
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(virtual);
  if (source === undefined) return ['unknown-field check: could not load the model types'];
  const typeDiagnostics = ts.getPreEmitDiagnostics(program, source);
  if (typeDiagnostics.length > 0) {
    return typeDiagnostics.map(
      (d) => `unknown-field check: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`,
    );
  }
  const typeOf = new Map<string, ts.Type>();
  for (const statement of source.statements) {
    if (!ts.isTypeAliasDeclaration(statement)) continue;
    const index = Number(statement.name.text.slice(1));
    typeOf.set(kinds[index] as string, checker.getTypeAtLocation(statement.name));
  }

  const problems: string[] = [];
  const walk = (value: unknown, type: ts.Type, path: string, o: K8sObject) => {
    const t = checker.getNonNullableType(type);
    if (t.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return;
    if (Array.isArray(value)) {
      const element = elementType(t);
      if (element !== undefined) {
        for (const [i, v] of value.entries()) walk(v, element, `${path}[${i}]`, o);
      }
      return;
    }
    if (value === null || typeof value !== 'object') return;
    const members = t.isUnion() ? t.types : [t];
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      let next: ts.Type | undefined;
      for (const m of members) {
        const prop = m.getProperty(key);
        if (prop !== undefined) {
          next = checker.getTypeOfSymbol(prop);
          break;
        }
        const index = checker.getIndexInfosOfType(m)[0];
        if (index !== undefined) {
          next = index.type;
          break;
        }
      }
      if (next === undefined) problems.push(`${o.file}: ${o.kind} ${o.name}: unknown field ${path}.${key}`);
      else walk(child, next, `${path}.${key}`, o);
    }
  };
  const elementType = (t: ts.Type): ts.Type | undefined => {
    for (const m of t.isUnion() ? t.types : [t]) {
      if (checker.isArrayType(m)) return checker.getTypeArguments(m as ts.TypeReference)[0];
    }
    return undefined;
  };
  for (const o of objects) {
    const type = typeOf.get(`${o.apiVersion}|${o.kind}`);
    if (type !== undefined) walk(o.body, type, '', o);
  }
  return problems;
}
