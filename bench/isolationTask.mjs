/** piscina's task in benchmark 4 (isolation): the same tiny async function as the bare peer and the module. */
export default async (x) => x + 1;
