/** Secrets and `::add-mask::` values, replaced by `***` in every line shown or written. */
export class Masker {
  private values: string[] = [];
  private re: RegExp | null = null;

  add(value: string | undefined): void {
    if (!value) return;
    const parts = [value, ...value.split(/\r?\n/).map((s) => s.trim())].filter((s) => s.length > 0);
    let changed = false;
    for (const p of parts) {
      if (!this.values.includes(p)) {
        this.values.push(p);
        changed = true;
      }
    }
    if (changed) {
      this.values.sort((a, b) => b.length - a.length);
      this.re = new RegExp(this.values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
    }
  }

  mask(text: string): string {
    return this.re ? text.replace(this.re, '***') : text;
  }

  /** Masks every string inside a JSON-like value. */
  maskDeep<T>(value: T): T {
    if (!this.re) return value;
    return JSON.parse(this.mask(JSON.stringify(value))) as T;
  }
}
