import { parse, type Node } from 'acorn';

/**
 * Bun loads `data:` URLs as modules below every JavaScript hook, so
 * `import('data:…')` and `require('data:…')` would run a string as code even
 * with `allowEval: false`. The bundle is the only code a handler has (eval is
 * refused), so refusing every way it could name a module by a computed or
 * `data:`/`blob:` string, before it runs, closes that road.
 */

const CODE_URL = /^\s*(data|blob):/i;
/** `import.meta` members that only describe the module. */
const SAFE_META = new Set(['url', 'dir', 'dirname', 'file', 'filename', 'path', 'main', 'env']);

export interface DynamicCodeUse {
  what: string;
  line: number;
  column: number;
}

type AnyNode = Node & Record<string, unknown>;

function staticString(node: AnyNode | undefined): string | undefined {
  if (node === undefined) return undefined;
  if (node.type === 'Literal' && typeof node['value'] === 'string') return node['value'];
  if (node.type === 'TemplateLiteral' && (node['expressions'] as unknown[]).length === 0) {
    const quasis = node['quasis'] as { value: { cooked: string | null } }[];
    return quasis[0]?.value.cooked ?? undefined;
  }
  return undefined;
}

/** Why a specifier may not be loaded, or undefined when it may. */
function badSpecifier(node: AnyNode | undefined): string | undefined {
  const value = staticString(node);
  if (value === undefined) return 'a computed module specifier';
  if (CODE_URL.test(value)) return `a ${value.trim().slice(0, 5).toLowerCase()} URL as a module`;
  return undefined;
}

/**
 * Finds the first way `source` (an ES module) could load code from a string.
 * Throws acorn's SyntaxError when the source does not parse.
 */
export function findDynamicCode(source: string): DynamicCodeUse | undefined {
  const program = parse(source, { ecmaVersion: 'latest', sourceType: 'module', locations: true, allowHashBang: true });
  let found: DynamicCodeUse | undefined;
  const report = (node: AnyNode, what: string): void => {
    const start = (node['loc'] as { start: { line: number; column: number } }).start;
    found ??= { what, line: start.line, column: start.column + 1 };
  };
  const visit = (node: AnyNode, parent: AnyNode | undefined, key: string): void => {
    if (found !== undefined) return;
    switch (node.type) {
      case 'ImportExpression': {
        const bad = badSpecifier(node['source'] as AnyNode);
        if (bad !== undefined) report(node, `import() of ${bad}`);
        break;
      }
      case 'Identifier': {
        if (node['name'] !== 'require') break;
        // A property name or an object key is not a reference to `require`.
        const isPropertyName =
          (parent?.type === 'MemberExpression' && key === 'property' && parent['computed'] !== true) ||
          (parent?.type === 'Property' && key === 'key' && parent['computed'] !== true) ||
          (parent?.type === 'MethodDefinition' && key === 'key') ||
          (parent?.type === 'PropertyDefinition' && key === 'key');
        if (isPropertyName) break;
        if (parent?.type === 'CallExpression' && key === 'callee') {
          const bad = badSpecifier((parent['arguments'] as AnyNode[])[0]);
          if (bad !== undefined) report(node, `require() of ${bad}`);
        } else {
          report(node, '`require` used as a value');
        }
        break;
      }
      case 'MetaProperty': {
        if ((node['meta'] as AnyNode)['name'] !== 'import') break;
        const name =
          parent?.type === 'MemberExpression' && key === 'object' && parent['computed'] !== true
            ? ((parent['property'] as AnyNode)['name'] as string)
            : undefined;
        if (name === undefined || !SAFE_META.has(name)) report(node, `import.meta${name === undefined ? ' used as a value' : `.${name}`}`);
        break;
      }
    }
    for (const [childKey, child] of Object.entries(node)) {
      if (childKey === 'loc') continue;
      if (Array.isArray(child)) {
        for (const item of child) if (item !== null && typeof item === 'object' && typeof item.type === 'string') visit(item, node, childKey);
      } else if (child !== null && typeof child === 'object' && typeof (child as AnyNode).type === 'string') {
        visit(child as AnyNode, node, childKey);
      }
    }
  };
  visit(program as unknown as AnyNode, undefined, '');
  return found;
}
