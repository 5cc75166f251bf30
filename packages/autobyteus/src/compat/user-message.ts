/** The plain data of a user message (what `toDict` returns and `fromDict` takes). */
export interface LLMUserMessageData {
  content: string;
  image_urls?: string[];
  audio_urls?: string[];
  video_urls?: string[];
}

const isStringList = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((entry) => typeof entry === 'string');

/**
 * One user turn for `sendUserMessage` / `streamUserMessage`: text plus media sources. An image
 * source is an `http(s)` URL, a `data:` URI, a local file path or bare base64. The constructor
 * refuses wrong types and a message with neither text nor media.
 */
export class LLMUserMessage {
  content: string;
  image_urls: string[];
  audio_urls: string[];
  video_urls: string[];

  constructor(data: LLMUserMessageData) {
    this.content = data.content;
    this.image_urls = data.image_urls ?? [];
    this.audio_urls = data.audio_urls ?? [];
    this.video_urls = data.video_urls ?? [];
    if (typeof this.content !== 'string') throw new Error("LLMUserMessage 'content' must be a string.");
    for (const field of ['image_urls', 'audio_urls', 'video_urls'] as const) {
      if (!isStringList(this[field])) throw new Error(`LLMUserMessage '${field}' must be a list of strings.`);
    }
    const media = this.image_urls.length + this.audio_urls.length + this.video_urls.length;
    if (!this.content && media === 0) {
      throw new Error('LLMUserMessage must have either content or at least one media URL.');
    }
  }

  /** The data with empty media lists left out. */
  toDict(): LLMUserMessageData {
    const data: LLMUserMessageData = { content: this.content };
    if (this.image_urls.length) data.image_urls = [...this.image_urls];
    if (this.audio_urls.length) data.audio_urls = [...this.audio_urls];
    if (this.video_urls.length) data.video_urls = [...this.video_urls];
    return data;
  }

  static fromDict(data: LLMUserMessageData): LLMUserMessage {
    return new LLMUserMessage(data);
  }
}
