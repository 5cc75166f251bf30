import { type ApiClient, ApiError } from './api-client.js';
import { el } from './dom.js';
import { duration } from './format.js';
import { asArray, asObject, errorMessage, str } from './read-json.js';
import { readSse } from './sse-reader.js';

interface Message {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/**
 * Chat with any model `/v1/models` lists: `POST /v1/chat/completions` with `stream: true`, read with
 * fetch and a ReadableStream, the answer growing as its chunks arrive. Stop aborts the request (the
 * gateway then stops the engine's generation).
 */
export class ChatPanel {
  private readonly select = el('select', { attrs: { id: 'chat-model', 'aria-label': 'model' } });
  private readonly system = el('input', {
    attrs: { id: 'chat-system', type: 'text', placeholder: 'system prompt (optional)', 'aria-label': 'system prompt' },
  });
  private readonly prompt = el('textarea', {
    attrs: { id: 'chat-prompt', rows: '3', placeholder: 'Say something…', 'aria-label': 'message' },
  });
  private readonly maxTokens = el('input', {
    attrs: { id: 'chat-max-tokens', type: 'number', min: '1', max: '8192', value: '128', 'aria-label': 'max tokens' },
  });
  private readonly transcript = el('div', {
    class: 'transcript',
    attrs: { id: 'chat-transcript', 'aria-live': 'polite' },
  });
  private readonly status = el('div', { class: 'muted', attrs: { id: 'chat-status' } });
  private readonly send = el('button', { attrs: { id: 'chat-send', type: 'submit' } }, 'Send');
  private readonly stop = el('button', { attrs: { id: 'chat-stop', type: 'button', disabled: '' } }, 'Stop');
  private readonly messages: Message[] = [];
  private controller: AbortController | undefined;

  constructor(
    private readonly api: ApiClient,
    body: HTMLElement,
  ) {
    const form = el(
      'form',
      { attrs: { id: 'chat-form' } },
      el(
        'div',
        { class: 'row' },
        el('label', {}, 'Model ', this.select),
        el('label', {}, 'max_tokens ', this.maxTokens),
      ),
      this.system,
      this.prompt,
      el(
        'div',
        { class: 'row' },
        this.send,
        this.stop,
        el('button', { attrs: { type: 'button' }, on: { click: () => this.clear() } }, 'Clear'),
      ),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.chat();
    });
    this.stop.addEventListener('click', () => this.controller?.abort());
    // Enter sends, Shift+Enter is a new line.
    this.prompt.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    body.replaceChildren(form, this.transcript, this.status);
  }

  /** Refreshes the model choice from `/v1/models`, keeping the current selection. */
  async refresh(): Promise<void> {
    const ids = asArray(asObject(await this.api.json('/v1/models')).data)
      .map((m) => str(asObject(m).id))
      .filter((id): id is string => id !== undefined);
    const current = this.select.value;
    const shown = [...this.select.options].map((o) => o.value);
    if (ids.join('\n') === shown.join('\n')) return;
    this.select.replaceChildren(...ids.map((id) => el('option', { attrs: { value: id } }, id)));
    if (ids.includes(current)) this.select.value = current;
  }

  private clear(): void {
    this.controller?.abort();
    this.messages.length = 0;
    this.transcript.replaceChildren();
    this.status.textContent = '';
  }

  private async chat(): Promise<void> {
    const text = this.prompt.value.trim();
    const model = this.select.value;
    if (!text || !model || this.controller) return;
    this.prompt.value = '';
    this.messages.push({ role: 'user', content: text });
    this.transcript.append(el('div', { class: 'message user' }, el('b', {}, 'you'), el('pre', {}, text)));
    const answer = el('pre', { attrs: { 'data-role': 'answer' } });
    const reasoning = el('pre', { class: 'reasoning muted' });
    const box = el('div', { class: 'message assistant streaming' }, el('b', {}, model), reasoning, answer);
    this.transcript.append(box);
    this.controller = new AbortController();
    this.send.disabled = true;
    this.stop.disabled = false;
    const started = performance.now();
    let firstAt: number | undefined;
    let chunks = 0;
    let usage = '';
    const system = this.system.value.trim();
    try {
      const response = await this.api.fetch('/v1/chat/completions', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({
          model,
          stream: true,
          stream_options: { include_usage: true },
          max_tokens: Number(this.maxTokens.value) || 128,
          messages: [...(system ? [{ role: 'system', content: system }] : []), ...this.messages],
        }),
        signal: this.controller.signal,
      });
      if (!response.ok || !response.body) {
        const body = await response.json().catch(() => undefined);
        throw new ApiError('/v1/chat/completions', response.status, errorMessage(body) ?? response.statusText);
      }
      for await (const item of readSse(response.body)) {
        if (item.kind === 'comment') {
          // `: loading <model> (3 s)` while the server starts the model's engine.
          if (item.text.startsWith('loading')) this.status.textContent = item.text;
          continue;
        }
        if (item.data === '[DONE]') break;
        const event = asObject(JSON.parse(item.data));
        const failed = errorMessage(event);
        if (failed) throw new Error(failed);
        const delta = asObject(asObject(asArray(event.choices)[0]).delta);
        const content = str(delta.content) ?? '';
        const thinking = str(delta.reasoning_content) ?? '';
        if (content || thinking) {
          firstAt ??= performance.now();
          chunks++;
          answer.textContent += content;
          reasoning.textContent += thinking;
        }
        const tokens = asObject(event.usage);
        if (typeof tokens.completion_tokens === 'number') usage = ` · ${tokens.completion_tokens} tokens`;
        this.status.textContent = `streaming · ${chunks} chunks · ${duration(performance.now() - started)}`;
      }
      this.messages.push({ role: 'assistant', content: answer.textContent ?? '' });
      this.status.textContent = `done · first token ${firstAt ? duration(firstAt - started) : '–'} · ${chunks} chunks${usage} · ${duration(performance.now() - started)}`;
    } catch (error) {
      const aborted = this.controller.signal.aborted;
      box.append(
        el(
          'div',
          { class: aborted ? 'muted' : 'error' },
          aborted ? 'stopped' : String(error instanceof Error ? error.message : error),
        ),
      );
      this.status.textContent = aborted ? 'stopped' : 'failed';
      // Keep the turn pairs intact: a failed question is not sent again with the next one.
      if (!aborted || !answer.textContent) this.messages.pop();
      else this.messages.push({ role: 'assistant', content: answer.textContent });
    } finally {
      box.classList.remove('streaming');
      box.classList.add('finished');
      this.controller = undefined;
      this.send.disabled = false;
      this.stop.disabled = true;
    }
  }
}
