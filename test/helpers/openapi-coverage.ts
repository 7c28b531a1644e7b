/** The rule test/integration/openapi.test.ts holds openapi.json to (so it cannot regress). */
type Node = Record<string, unknown>;
const isNode = (value: unknown): value is Node => typeof value === "object" && value !== null && !Array.isArray(value);
const hasExample = (node: Node) => "example" in node || (Array.isArray(node.examples) && node.examples.length > 0);
/** A property that is only a reference: its component is checked once, on its own, and carries both. */
const isBareRef = (node: Node) => typeof node.$ref === "string" && Object.keys(node).every((key) => key === "$ref");

/**
 * What the document lacks, as `where: what` lines. Every component schema needs a description and a
 * whole-object example; every property (recursively, through nested objects, array items and the members
 * of anyOf/oneOf/allOf, as the document nests them) needs a description and an example of its own,
 * except a bare `$ref`, whose target is a component checked by itself (so no $ref is followed). Every
 * parameter of every operation needs a description and an example (on it or on its schema).
 */
export function undocumented(doc: { paths: Record<string, Record<string, Node>>; components: { schemas: Record<string, Node> } }): string[] {
  const problems: string[] = [];
  const walk = (node: Node, where: string) => {
    for (const [name, property] of Object.entries(isNode(node.properties) ? node.properties : {})) {
      if (!isNode(property)) continue;
      const at = `${where}.${name}`;
      if (isBareRef(property)) continue;
      if (typeof property.description !== "string" || property.description.trim() === "") problems.push(`${at}: no description`);
      if (!hasExample(property)) problems.push(`${at}: no example`);
      walk(property, at);
    }
    if (isNode(node.items)) walk(node.items, `${where}[]`);
    for (const key of ["anyOf", "oneOf", "allOf"] as const) {
      const members = node[key];
      if (Array.isArray(members)) members.forEach((member, i) => isNode(member) && walk(member, `${where}.${key}[${i}]`));
    }
    if (isNode(node.additionalProperties)) walk(node.additionalProperties, `${where}{}`);
  };
  for (const [name, schema] of Object.entries(doc.components.schemas)) {
    if (typeof schema.description !== "string" || schema.description.trim() === "") problems.push(`#/components/schemas/${name}: no description`);
    if (!hasExample(schema)) problems.push(`#/components/schemas/${name}: no example`);
    walk(schema, name);
  }
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const parameters = [...(Array.isArray(operations.parameters) ? operations.parameters : []), ...(Array.isArray(operation.parameters) ? operation.parameters : [])];
      for (const parameter of parameters as Node[]) {
        const at = `${method.toUpperCase()} ${path} ${String(parameter.in)} ${String(parameter.name)}`;
        if (typeof parameter.description !== "string" || parameter.description.trim() === "") problems.push(`${at}: no description`);
        if (!hasExample(parameter) && !(isNode(parameter.schema) && hasExample(parameter.schema))) problems.push(`${at}: no example`);
      }
    }
  }
  return problems;
}
