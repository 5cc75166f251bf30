import { readFileSync } from 'node:fs';

/**
 * A .dockerignore as Docker applies it to a build context: each pattern is matched against the
 * path relative to the context root and against each of its parent folders (an excluded folder
 * excludes everything in it); `*` stays within one segment, `**` spans any number; a `!` pattern
 * re-includes; the last matching pattern wins. Enough for the patterns this repository uses.
 */
export function dockerIgnore(file: string): (path: string) => boolean {
  const rules = readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const include = line.startsWith('!');
      const pattern = (include ? line.slice(1) : line).replace(/^\/+|\/+$/g, '');
      return { include, regex: globToRegex(pattern) };
    });
  return (path) => {
    const segments = path.replace(/^\.?\/+/, '').split('/');
    let ignored = false;
    for (const rule of rules) {
      for (let i = 1; i <= segments.length; i++) {
        if (rule.regex.test(segments.slice(0, i).join('/'))) {
          ignored = !rule.include;
          break;
        }
      }
    }
    return ignored;
  };
}

function globToRegex(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] as string;
    if (pattern.startsWith('**/', i)) {
      source += '(?:.*/)?';
      i += 2;
    } else if (pattern.startsWith('**', i)) {
      source += '.*';
      i += 1;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}
