/**
 * Asks for the API token in the page's <dialog>. Concurrent callers (every panel polls) share one
 * open prompt and all get the token it returns.
 */
export class TokenPrompt {
  private pending: Promise<string> | undefined;

  constructor(private readonly dialog: HTMLDialogElement) {}

  ask(reason: string): Promise<string> {
    this.pending ??= this.open(reason).finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private open(reason: string): Promise<string> {
    const form = this.dialog.querySelector('form');
    const input = this.dialog.querySelector<HTMLInputElement>('#token-input');
    const text = this.dialog.querySelector('#token-reason');
    if (!form || !input || !text) throw new Error('index.html lacks the token dialog');
    text.textContent = reason;
    input.value = '';
    return new Promise<string>((resolve) => {
      const submitted = (event: Event) => {
        const token = input.value.trim();
        if (!token) {
          event.preventDefault();
          return;
        }
        form.removeEventListener('submit', submitted);
        this.dialog.removeEventListener('cancel', keepOpen);
        resolve(token);
      };
      // Without a token nothing on the page works: Escape does not dismiss the prompt.
      const keepOpen = (event: Event) => event.preventDefault();
      form.addEventListener('submit', submitted);
      this.dialog.addEventListener('cancel', keepOpen);
      if (!this.dialog.open) this.dialog.showModal();
      input.focus();
    });
  }
}
