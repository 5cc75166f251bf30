/** A child of {@link el}: nodes as they are, strings as text (never parsed as HTML). */
export type Child = Node | string | number | null | undefined | false;

export interface ElementProps {
  class?: string;
  title?: string;
  /** Other attributes, set with setAttribute. */
  attrs?: Record<string, string>;
  on?: Partial<Record<keyof HTMLElementEventMap, (event: Event) => void>>;
}

/**
 * Creates an element. Every string becomes a text node: server data (model names, error messages)
 * never reaches innerHTML, so it cannot inject markup.
 */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: ElementProps = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.class) node.className = props.class;
  if (props.title) node.title = props.title;
  for (const [name, value] of Object.entries(props.attrs ?? {})) node.setAttribute(name, value);
  for (const [type, handler] of Object.entries(props.on ?? {})) if (handler) node.addEventListener(type, handler);
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** The `.body` of a section of index.html. */
export function panelBody(sectionId: string): HTMLElement {
  const body = document.querySelector<HTMLElement>(`#${sectionId} .body`);
  if (!body) throw new Error(`index.html lacks #${sectionId} .body`);
  return body;
}

/** A table with a header row. */
export function table(headers: string[], rows: HTMLTableRowElement[]): HTMLTableElement {
  return el(
    'table',
    {},
    el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', {}, h)))),
    el('tbody', {}, ...rows),
  );
}
