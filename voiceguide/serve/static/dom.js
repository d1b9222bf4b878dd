// @ts-check
// The page's two DOM helpers, defined once: `$` (an element by id, of the kind expected) and `el`.

/**
 * The element with id `id`, checked to be a `kind` (any HTMLElement unless given), so a
 * typo or a changed page fails here, by name, rather than as "null has no property" later.
 * @template {HTMLElement} [T=HTMLElement]
 * @param {string} id
 * @param {{ new (): T, prototype: T }} [kind]
 * @returns {T}
 */
export function $(id, kind) {
  const node = document.getElementById(id);
  const wanted = kind || HTMLElement;
  if (!(node instanceof wanted)) throw new Error(`the page has no ${wanted.name} #${id}`);
  return /** @type {T} */ (node);
}

/**
 * A new element with text content and an optional class.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {string} [text]
 * @param {string} [className]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, text = "", className = "") {
  const node = document.createElement(tag);
  if (text) node.textContent = text;
  if (className) node.className = className;
  return node;
}
