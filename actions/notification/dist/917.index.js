export const id = 917;
export const ids = [917];
export const modules = {

/***/ 6888:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   NO: () => (/* binding */ parseSmtpUrl),
/* harmony export */   sendEmail: () => (/* binding */ sendEmail)
/* harmony export */ });
/* unused harmony exports SMTP_TLS_MODES, tlsSettings, emailSubject, emailText, emailHtml, classifySmtpError */
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(1455);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_fs_promises__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_tls__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(1692);
/* harmony import */ var node_tls__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(node_tls__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var _tripo04os_common__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(5062);
/* harmony import */ var _delivery_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(5863);
/* harmony import */ var _markdown_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(9986);
/* harmony import */ var _message_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(5908);






const SMTP_TLS_MODES = (/* unused pure expression or super */ null && (['auto', 'starttls', 'tls', 'off']));
/** The nodemailer connection settings for a `smtp-tls` mode and port. */
function tlsSettings(host, tls, port) {
    switch (tls) {
        case 'tls':
            return { host, port: port ?? 465, secure: true, requireTLS: false, ignoreTLS: false };
        case 'starttls':
            return { host, port: port ?? 587, secure: false, requireTLS: true, ignoreTLS: false };
        case 'off':
            return { host, port: port ?? 25, secure: false, requireTLS: false, ignoreTLS: true };
        default: {
            const p = port ?? 587;
            return { host, port: p, secure: p === 465, requireTLS: false, ignoreTLS: false };
        }
    }
}
/** What an `smtp://user:pass@host:port` (or `smtps://`) URL says; user and password URL-decoded. */
function parseSmtpUrl(url) {
    const out = {
        host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        implicitTls: url.protocol === 'smtps:',
    };
    if (url.port)
        out.port = Number(url.port);
    if (url.username)
        out.username = decodeURIComponent(url.username);
    if (url.password)
        out.password = decodeURIComponent(url.password);
    return out;
}
function emailSubject(message, subject) {
    return subject?.trim() ? subject.trim() : `${message.status.emoji} ${message.title}`;
}
/** The text body: title, text, then `Name: value <url>` lines. */
function emailText(message) {
    const lines = [`${message.status.emoji} ${message.title}`, ''];
    if (message.text.trim())
        lines.push(message.text.trim(), '');
    for (const f of (0,_message_js__WEBPACK_IMPORTED_MODULE_5__/* .allFields */ .Tz)(message))
        lines.push(`${f.name}: ${f.value}${f.url ? ` <${f.url}>` : ''}`);
    if (message.context.runUrl)
        lines.push('', `View the run: ${message.context.runUrl}`);
    return `${lines.join('\n')}\n`;
}
/** The HTML body: a coloured title, the text as HTML, a table of fields. */
function emailHtml(message) {
    const { status, context } = message;
    const rows = (0,_message_js__WEBPACK_IMPORTED_MODULE_5__/* .allFields */ .Tz)(message)
        .map((f) => {
        const value = f.url ? `<a href="${(0,_markdown_js__WEBPACK_IMPORTED_MODULE_4__/* .escapeHtml */ .ZD)(f.url)}">${(0,_markdown_js__WEBPACK_IMPORTED_MODULE_4__/* .escapeHtml */ .ZD)(f.value)}</a>` : (0,_markdown_js__WEBPACK_IMPORTED_MODULE_4__/* .escapeHtml */ .ZD)(f.value);
        return `<tr><th align="left" style="padding:2px 12px 2px 0;color:#555">${(0,_markdown_js__WEBPACK_IMPORTED_MODULE_4__/* .escapeHtml */ .ZD)(f.name)}</th><td style="padding:2px 0">${value}</td></tr>`;
    })
        .join('\n');
    const title = context.runUrl
        ? `<a href="${(0,_markdown_js__WEBPACK_IMPORTED_MODULE_4__/* .escapeHtml */ .ZD)(context.runUrl)}" style="color:inherit">${(0,_markdown_js__WEBPACK_IMPORTED_MODULE_4__/* .escapeHtml */ .ZD)(message.title)}</a>`
        : (0,_markdown_js__WEBPACK_IMPORTED_MODULE_4__/* .escapeHtml */ .ZD)(message.title);
    return [
        '<!doctype html>',
        '<html><body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:14px">',
        `<div style="border-left:4px solid ${status.color};padding:4px 12px">`,
        `<h2 style="margin:0 0 8px">${status.emoji} ${title}</h2>`,
        (0,_markdown_js__WEBPACK_IMPORTED_MODULE_4__/* .toHtml */ .Vw)(message.text),
        rows ? `<table cellspacing="0" cellpadding="0">\n${rows}\n</table>` : '',
        '</div>',
        '</body></html>',
        '',
    ].join('\n');
}
const PERMANENT_SOCKET = /wrong version number|certificate|self[- ]signed|unable to (get|verify)|altname|handshake/i;
const TLS_CODES = new Set([
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'SELF_SIGNED_CERT_IN_CHAIN',
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    'CERT_HAS_EXPIRED',
    'ERR_TLS_CERT_ALTNAME_INVALID',
    'ERR_SSL_WRONG_VERSION_NUMBER',
]);
/** Nodemailer's errors as one line, and whether another attempt may help. */
function classifySmtpError(err, target) {
    const e = err;
    const code = e.code ?? '';
    const response = e.response ? e.response.replace(/\s+/g, ' ').trim() : '';
    const inner = e.originalCode ?? err.cause?.code ?? '';
    if (code === 'EAUTH') {
        const who = target.username ? ` for user '${target.username}'` : '';
        return new _delivery_js__WEBPACK_IMPORTED_MODULE_3__/* .DeliveryError */ .VE(`SMTP authentication failed${who}: ${response || (0,_tripo04os_common__WEBPACK_IMPORTED_MODULE_2__/* .errorMessage */ .gJ)(err)} (check smtp-username and smtp-password)`, {
            retryable: false,
            cause: err,
        });
    }
    if (TLS_CODES.has(code) || TLS_CODES.has(inner) || ((code === 'ESOCKET' || code === 'ETLS') && PERMANENT_SOCKET.test(e.message ?? ''))) {
        if (/wrong version number/i.test(e.message ?? '')) {
            return new _delivery_js__WEBPACK_IMPORTED_MODULE_3__/* .DeliveryError */ .VE(`SMTP TLS failed: the server does not speak implicit TLS on this port (smtp-tls ${target.tls}; 465 speaks implicit TLS, 587 and 25 use STARTTLS)`, { retryable: false, cause: err });
        }
        return new _delivery_js__WEBPACK_IMPORTED_MODULE_3__/* .DeliveryError */ .VE(`SMTP TLS failed: ${firstLine(e.message)} (trust a private CA with smtp-ca-file or NODE_EXTRA_CA_CERTS)`, {
            retryable: false,
            cause: err,
        });
    }
    if (typeof e.responseCode === 'number') {
        const hint = e.command === 'STARTTLS' ? ' (smtp-tls starttls needs a server that offers STARTTLS)' : '';
        const what = `SMTP ${e.command ? `${e.command} ` : ''}refused: ${response || firstLine(e.message)}${hint}`;
        return new _delivery_js__WEBPACK_IMPORTED_MODULE_3__/* .DeliveryError */ .VE(what, { retryable: e.responseCode < 500, cause: err });
    }
    if (['ECONNECTION', 'ESOCKET', 'ETIMEDOUT', 'EDNS', 'ECONNREFUSED', 'ECONNRESET', 'ESTREAM'].includes(code)) {
        return new _delivery_js__WEBPACK_IMPORTED_MODULE_3__/* .DeliveryError */ .VE(`SMTP connection failed: ${firstLine(e.message)}${inner ? ` (${inner})` : ''}`, {
            retryable: true,
            cause: err,
        });
    }
    return new _delivery_js__WEBPACK_IMPORTED_MODULE_3__/* .DeliveryError */ .VE(`SMTP error: ${firstLine(e.message)}`, { retryable: false, cause: err });
}
function firstLine(text) {
    return (text ?? 'unknown error').split('\n')[0]?.trim() ?? '';
}
async function sendEmail(target, message, options) {
    const settings = tlsSettings(target.host, target.tls, target.port);
    const ca = target.caFile ? [...node_tls__WEBPACK_IMPORTED_MODULE_1__.rootCertificates, await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.readFile)(target.caFile, 'utf8')] : undefined;
    const nodemailer = await __webpack_require__.e(/* import() */ 739).then(__webpack_require__.bind(__webpack_require__, 6739));
    const transport = nodemailer.createTransport({
        ...settings,
        ...(target.username ? { auth: { user: target.username, pass: target.password ?? '' } } : {}),
        tls: { minVersion: 'TLSv1.2', rejectUnauthorized: true, ...(ca ? { ca } : {}) },
        connectionTimeout: 15_000,
        greetingTimeout: 15_000,
        socketTimeout: 30_000,
        disableFileAccess: true,
        disableUrlAccess: true,
    });
    const mail = {
        from: target.from,
        to: target.to,
        ...(target.cc.length > 0 ? { cc: target.cc } : {}),
        subject: emailSubject(message, target.subject),
        text: emailText(message),
        html: emailHtml(message),
    };
    try {
        return await (0,_delivery_js__WEBPACK_IMPORTED_MODULE_3__/* .deliver */ .cK)('email', async () => {
            try {
                const info = await transport.sendMail(mail);
                return { id: String(info.messageId ?? '') };
            }
            catch (err) {
                throw classifySmtpError(err, target);
            }
        }, options);
    }
    finally {
        transport.close();
    }
}


/***/ }),

/***/ 5863:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Mz: () => (/* binding */ checkResponse),
/* harmony export */   Q6: () => (/* binding */ ChannelError),
/* harmony export */   TN: () => (/* binding */ oneLine),
/* harmony export */   VE: () => (/* binding */ DeliveryError),
/* harmony export */   bE: () => (/* binding */ post),
/* harmony export */   cK: () => (/* binding */ deliver)
/* harmony export */ });
/* unused harmony exports networkErrorText, plainErrorText */
/* harmony import */ var _tripo04os_common__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(5062);

/**
 * Delivery: one HTTP POST per attempt, errors classified the same way for every channel, and
 * the shared retry helper for the waiting. 429 honours Retry-After; 5xx and network errors back
 * off; other 4xx fail at once with the text the service gave.
 */
class DeliveryError extends Error {
    name = 'DeliveryError';
    status;
    retryable;
    retryAfterMs;
    constructor(message, options) {
        super(message, { cause: options.cause });
        this.status = options.status;
        this.retryable = options.retryable;
        this.retryAfterMs = options.retryAfterMs;
    }
}
/** A channel that could not be delivered to, after `attempts` attempts. */
class ChannelError extends Error {
    name = 'ChannelError';
    attempts;
    constructor(message, attempts, cause) {
        super(message, { cause });
        this.attempts = attempts;
    }
}
/** POSTs a body; answers every HTTP status (the caller classifies), throws a retryable DeliveryError on network errors and timeouts. */
async function post(url, body, headers, timeoutMs = 30_000) {
    let response;
    try {
        response = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'tripo04os-notification', ...headers },
            body,
            redirect: 'error',
            signal: AbortSignal.timeout(timeoutMs),
        });
    }
    catch (err) {
        throw new DeliveryError(networkErrorText(err, timeoutMs), { retryable: true, cause: err });
    }
    let text = '';
    try {
        text = await response.text();
    }
    catch (err) {
        throw new DeliveryError(`HTTP ${response.status}, then the connection broke: ${networkErrorText(err, timeoutMs)}`, {
            status: response.status,
            retryable: true,
            cause: err,
        });
    }
    return { status: response.status, headers: response.headers, text };
}
/** A network error as one line that names no URL: `connection refused (ECONNREFUSED)`. */
function networkErrorText(err, timeoutMs) {
    const e = err;
    if (e?.name === 'TimeoutError' || e?.cause?.name === 'TimeoutError') {
        return `no answer within ${timeoutMs !== undefined ? (0,_tripo04os_common__WEBPACK_IMPORTED_MODULE_0__/* .formatDuration */ .a3)(timeoutMs) : 'the timeout'}`;
    }
    const code = e?.cause?.code ?? e?.code;
    const words = {
        ECONNREFUSED: 'connection refused',
        ECONNRESET: 'connection reset',
        ENOTFOUND: 'host not found',
        EAI_AGAIN: 'DNS lookup failed',
        ETIMEDOUT: 'connection timed out',
        EHOSTUNREACH: 'host unreachable',
        ENETUNREACH: 'network unreachable',
        UND_ERR_SOCKET: 'connection closed',
        UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
    };
    if (code)
        return `network error: ${words[code] ?? 'request failed'} (${code})`;
    const why = e?.cause?.message ?? (0,_tripo04os_common__WEBPACK_IMPORTED_MODULE_0__/* .errorMessage */ .gJ)(err);
    return `network error: ${why.replace(/https?:\/\/\S+/g, '<url>')}`;
}
/**
 * Turns an HTTP answer into success or a DeliveryError. `errorText` extracts the service's own
 * error words from the body (Slack: `invalid_payload`; Discord/Teams: a JSON message).
 */
function checkResponse(res, errorText = plainErrorText) {
    if (res.status >= 200 && res.status < 300)
        return;
    const words = errorText(res);
    const message = `HTTP ${res.status}${words ? `: ${words}` : ''}`;
    if (res.status === 429) {
        throw new DeliveryError(message, {
            status: 429,
            retryable: true,
            retryAfterMs: (0,_tripo04os_common__WEBPACK_IMPORTED_MODULE_0__/* .parseRetryAfter */ .mu)(res.headers.get('retry-after')) ?? bodyRetryAfter(res.text),
        });
    }
    if (res.status >= 500 || res.status === 408) {
        const retryAfterMs = (0,_tripo04os_common__WEBPACK_IMPORTED_MODULE_0__/* .parseRetryAfter */ .mu)(res.headers.get('retry-after'));
        throw new DeliveryError(message, { status: res.status, retryable: true, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
    }
    throw new DeliveryError(message, { status: res.status, retryable: false });
}
/** Discord answers 429 with `{"retry_after": 0.5}` (seconds) in the body as well. */
function bodyRetryAfter(text) {
    try {
        const v = JSON.parse(text).retry_after;
        return typeof v === 'number' && v >= 0 ? Math.ceil(v * 1000) : undefined;
    }
    catch {
        return undefined;
    }
}
/** The first line of a body, short, without HTML pages. */
function plainErrorText(res) {
    const text = res.text.trim();
    if (!text || /^<(!doctype|html)/i.test(text))
        return '';
    try {
        const json = JSON.parse(text);
        const err = json.error;
        const candidates = [
            typeof err === 'object' && err ? err.message : undefined,
            typeof err === 'string' ? err : undefined,
            json.message,
            json.error_description,
            json.detail,
        ];
        for (const c of candidates)
            if (typeof c === 'string' && c.trim())
                return oneLine(c);
    }
    catch { }
    return oneLine(text);
}
function oneLine(text, max = 300) {
    const line = text.replace(/\s+/g, ' ').trim();
    return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
/**
 * Runs one channel's send function with the shared retry helper: retryable DeliveryErrors are
 * retried within `retries` and the deadline (429 waits as long as Retry-After says); anything
 * else fails at once. Throws a ChannelError with the attempts made.
 */
async function deliver(channel, send, options) {
    let attempts = 0;
    const isRetryable = (err) => err instanceof DeliveryError && err.retryable;
    try {
        return await (0,_tripo04os_common__WEBPACK_IMPORTED_MODULE_0__/* .retry */ .L5)((attempt) => {
            attempts = attempt;
            return send(attempt);
        }, {
            attempts: options.retries + 1,
            deadlineMs: options.deadlineMs,
            baseDelayMs: options.baseDelayMs ?? 1000,
            maxDelayMs: 30_000,
            isRetryable,
            retryAfterMs: (err) => (err instanceof DeliveryError ? err.retryAfterMs : undefined),
            onRetry: ({ attempt, delayMs, error }) => options.logger.info(`${channel}: ${(0,_tripo04os_common__WEBPACK_IMPORTED_MODULE_0__/* .errorMessage */ .gJ)(error)}; retrying in ${(delayMs / 1000).toFixed(1)}s (attempt ${attempt + 1} of ${options.retries + 1})`),
            ...(options.signal ? { signal: options.signal } : {}),
        });
    }
    catch (err) {
        if (err instanceof _tripo04os_common__WEBPACK_IMPORTED_MODULE_0__/* .RetryError */ .J_)
            throw new ChannelError((0,_tripo04os_common__WEBPACK_IMPORTED_MODULE_0__/* .errorMessage */ .gJ)(err), err.attempts, err.cause);
        throw new ChannelError((0,_tripo04os_common__WEBPACK_IMPORTED_MODULE_0__/* .errorMessage */ .gJ)(err), Math.max(1, attempts), err);
    }
}


/***/ }),

/***/ 9917:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  buildMessage: () => (/* reexport */ src_message/* buildMessage */.Y6),
  configuredChannels: () => (/* reexport */ configuredChannels),
  notify: () => (/* reexport */ notify),
  parsePayload: () => (/* reexport */ parsePayload),
  parseSmtpUrl: () => (/* reexport */ email/* parseSmtpUrl */.NO),
  runContext: () => (/* reexport */ runContext)
});

// UNUSED EXPORTS: ChannelError, DISCORD_LIMITS, DeliveryError, PLACEHOLDERS, SIGNATURE_HEADER, SMTP_TLS_MODES, allFields, automaticFields, checkResponse, classifySmtpError, defaultTitle, deliver, discordEmbed, discordMessage, emailHtml, emailSubject, emailText, embedLength, escapeHtml, networkErrorText, oneLine, placeholderValues, plainErrorText, post, redact, renderPayload, sendDiscord, sendEmail, sendSlackApi, sendSlackWebhook, sendTeams, sendWebhook, sign, slackEscape, slackLink, slackMessage, statusStyle, teamsCard, teamsEnvelope, teamsMessage, tlsSettings, toHtml, toSlackMrkdwn, truncate, webhookMessage

// EXTERNAL MODULE: ./packages/notify/src/delivery.ts
var src_delivery = __webpack_require__(5863);
// EXTERNAL MODULE: ./packages/notify/src/message.ts
var src_message = __webpack_require__(5908);
;// CONCATENATED MODULE: ./packages/notify/src/channels/discord.ts


/**
 * Discord webhooks: one embed, within Discord's documented limits (title 256, description
 * 4096, 25 fields of name 256 / value 1024, footer 2048, 6000 characters in all; content 2000).
 * Long parts are cut with `…`, never rejected. `?wait=true` makes Discord answer with the message,
 * which gives its id.
 */
const DISCORD_LIMITS = {
    content: 2000,
    title: 256,
    description: 4096,
    fields: 25,
    fieldName: 256,
    fieldValue: 1024,
    footer: 2048,
    total: 6000,
};
function len(s) {
    return Array.from(s).length;
}
/** Total characters Discord counts towards the 6000 limit of one embed. */
function embedLength(e) {
    return len(e.title) + len(e.description ?? '') + len(e.footer?.text ?? '') + e.fields.reduce((n, f) => n + len(f.name) + len(f.value), 0);
}
function discordLink(text, url) {
    const t = text.replace(/([[\]])/g, '\\$1');
    return url ? `[${t}](${url})` : t;
}
function discordEmbed(message, now = new Date()) {
    const { status, context } = message;
    const L = DISCORD_LIMITS;
    const embed = {
        title: (0,src_message/* truncate */.xv)(`${status.emoji} ${message.title}`, L.title),
        color: Number.parseInt(status.color.slice(1), 16),
        fields: [],
        timestamp: now.toISOString(),
    };
    if (context.runUrl)
        embed.url = context.runUrl;
    const footer = [context.repository, context.workflow && `${context.workflow}${context.runNumber ? ` #${context.runNumber}` : ''}`]
        .filter(Boolean)
        .join(' · ');
    if (footer)
        embed.footer = { text: (0,src_message/* truncate */.xv)(footer, L.footer) };
    for (const f of (0,src_message/* allFields */.Tz)(message).slice(0, L.fields)) {
        const name = (0,src_message/* truncate */.xv)(f.name, L.fieldName) || '\u200b';
        // Cut the plain value, not the link markup, so a long value never leaves a broken link.
        const linkOverhead = f.url ? len(f.url) + 4 : 0;
        const value = f.url && linkOverhead < L.fieldValue / 2
            ? discordLink((0,src_message/* truncate */.xv)(f.value, L.fieldValue - linkOverhead), f.url)
            : (0,src_message/* truncate */.xv)(f.value, L.fieldValue);
        embed.fields.push({ name, value: value || '\u200b', inline: true });
    }
    if (message.text.trim()) {
        // Whatever the title, footer and fields leave of the 6000, up to 4096, goes to the description.
        const room = Math.min(L.description, L.total - embedLength(embed));
        if (room > 0)
            embed.description = (0,src_message/* truncate */.xv)(message.text, room);
    }
    // Still too long (many long fields): drop fields from the end.
    while (embedLength(embed) > L.total && embed.fields.length > 0)
        embed.fields.pop();
    return embed;
}
function discordMessage(message, payload) {
    if (payload) {
        const out = { ...payload };
        if (typeof out.content === 'string')
            out.content = (0,src_message/* truncate */.xv)(out.content, DISCORD_LIMITS.content);
        return out;
    }
    // No pings from a CI message: @everyone or a role name in a commit message stays text.
    return { embeds: [discordEmbed(message)], allowed_mentions: { parse: [] } };
}
async function sendDiscord(url, body, options) {
    const target = new URL(url);
    target.searchParams.set('wait', 'true');
    const json = JSON.stringify(body);
    return (0,src_delivery/* deliver */.cK)('discord', async () => {
        const res = await (0,src_delivery/* post */.bE)(target.toString(), json, {}, options.timeoutMs);
        (0,src_delivery/* checkResponse */.Mz)(res);
        if (res.status === 204 || !res.text)
            return {};
        try {
            const id = JSON.parse(res.text).id;
            return typeof id === 'string' ? { id } : {};
        }
        catch {
            return {};
        }
    }, options);
}

// EXTERNAL MODULE: ./packages/notify/src/channels/email.ts
var email = __webpack_require__(6888);
// EXTERNAL MODULE: ./packages/common/src/index.ts + 5 modules
var src = __webpack_require__(5062);
// EXTERNAL MODULE: ./packages/notify/src/markdown.ts
var markdown = __webpack_require__(9986);
;// CONCATENATED MODULE: ./packages/notify/src/channels/slack.ts




/**
 * Slack: an incoming webhook, or the Web API (`chat.postMessage`, `chat.update` with `ts`,
 * replies with `thread_ts`). The message is an attachment (for the status colour bar) holding
 * Block Kit blocks in mrkdwn, with a plain `text` fallback for notifications.
 */
// Block Kit limits: section text 3000, 10 fields of 2000 each per section, 50 blocks.
const SECTION_TEXT = 3000;
const FIELD_TEXT = 2000;
const FIELDS_PER_SECTION = 10;
function fieldMrkdwn(f) {
    const value = f.url ? (0,markdown/* slackLink */.J1)(f.url, f.value) : (0,markdown/* slackEscape */._U)(f.value);
    return (0,src_message/* truncate */.xv)(`*${(0,markdown/* slackEscape */._U)(f.name)}*\n${value}`, FIELD_TEXT);
}
/** The Slack payload (webhook and Web API share it). */
function slackMessage(message) {
    const { status, context } = message;
    const title = context.runUrl ? (0,markdown/* slackLink */.J1)(context.runUrl, message.title) : (0,markdown/* slackEscape */._U)(message.title);
    const body = (0,markdown/* toSlackMrkdwn */.tM)(message.text);
    const blocks = [
        { type: 'section', text: { type: 'mrkdwn', text: (0,src_message/* truncate */.xv)(`${status.emoji} *${title}*${body ? `\n${body}` : ''}`, SECTION_TEXT) } },
    ];
    const fields = (0,src_message/* allFields */.Tz)(message);
    for (let i = 0; i < fields.length && blocks.length < 49; i += FIELDS_PER_SECTION) {
        blocks.push({
            type: 'section',
            fields: fields.slice(i, i + FIELDS_PER_SECTION).map((f) => ({ type: 'mrkdwn', text: fieldMrkdwn(f) })),
        });
    }
    const fallback = (0,src_message/* truncate */.xv)(`${status.emoji} ${message.title}`, 3000);
    return {
        text: fallback,
        attachments: [{ color: status.color, fallback, blocks }],
    };
}
/** Slack webhooks answer errors in plain text: `invalid_payload`, `no_service`, `channel_is_archived`. */
function webhookErrorText(res) {
    return (0,src_delivery/* oneLine */.TN)(res.text) || 'no error text';
}
async function sendSlackWebhook(url, body, options) {
    const json = JSON.stringify(body);
    return (0,src_delivery/* deliver */.cK)('slack', async () => {
        const res = await (0,src_delivery/* post */.bE)(url, json, {}, options.timeoutMs);
        (0,src_delivery/* checkResponse */.Mz)(res, webhookErrorText);
        return {};
    }, options);
}
/** Slack Web API errors worth another try (besides HTTP 429 and 5xx). */
const RETRYABLE_API_ERRORS = new Set([
    'ratelimited',
    'rate_limited',
    'internal_error',
    'fatal_error',
    'service_unavailable',
    'request_timeout',
]);
/** Posts (or updates) with the Web API. Slack answers HTTP 200 with `ok: false` on errors: `error` is the failure text. */
async function sendSlackApi(target, body, options) {
    const method = target.ts ? 'chat.update' : 'chat.postMessage';
    const payload = { ...body, channel: body.channel ?? target.channel };
    if (target.ts)
        payload.ts = target.ts;
    else if (target.threadTs && payload.thread_ts === undefined)
        payload.thread_ts = target.threadTs;
    const json = JSON.stringify(payload);
    const url = `${target.apiUrl.replace(/\/+$/, '')}/${method}`;
    return (0,src_delivery/* deliver */.cK)('slack-api', async () => {
        const res = await (0,src_delivery/* post */.bE)(url, json, { authorization: `Bearer ${target.token}` }, options.timeoutMs);
        (0,src_delivery/* checkResponse */.Mz)(res, (r) => (0,src_delivery/* oneLine */.TN)(r.text) || 'no error text');
        let answer;
        try {
            answer = JSON.parse(res.text);
        }
        catch {
            throw new src_delivery/* DeliveryError */.VE(`${method}: the answer is not JSON (HTTP ${res.status})`, { status: res.status, retryable: false });
        }
        if (!answer.ok) {
            const error = answer.error ?? 'unknown_error';
            throw new src_delivery/* DeliveryError */.VE(`${method}: ${error}`, {
                status: res.status,
                retryable: RETRYABLE_API_ERRORS.has(error),
                retryAfterMs: (0,src/* parseRetryAfter */.mu)(res.headers.get('retry-after')),
            });
        }
        const ts = answer.ts ?? target.ts ?? '';
        return { id: ts, ts, channel: answer.channel ?? target.channel };
    }, options);
}

;// CONCATENATED MODULE: ./packages/notify/src/channels/teams.ts


/**
 * Microsoft Teams through a Workflows webhook ("Post to a channel when a webhook request is
 * received"): a message with one Adaptive Card attachment. Workflows answers 202 with an empty
 * body, which is success (O365 connector webhooks, retired, answered 200 "1").
 */
const CONTAINER_STYLE = { Good: 'good', Attention: 'attention', Warning: 'warning', Accent: 'accent', Default: 'emphasis' };
/** Adaptive Card markdown: links as `[text](url)`; brackets in the text escaped. */
function cardLink(text, url) {
    const t = text.replace(/([[\]])/g, '\\$1');
    return url ? `[${t}](${url})` : t;
}
/** The Adaptive Card (schema 1.4, what Teams renders) for a message. */
function teamsCard(message) {
    const { status, context } = message;
    const body = [
        {
            type: 'Container',
            style: CONTAINER_STYLE[status.teamsColor],
            bleed: true,
            items: [
                {
                    type: 'TextBlock',
                    text: (0,src_message/* truncate */.xv)(`${status.emoji} ${message.title}`, 1000),
                    weight: 'Bolder',
                    size: 'Medium',
                    color: status.teamsColor,
                    wrap: true,
                },
            ],
        },
    ];
    if (message.text.trim())
        body.push({ type: 'TextBlock', text: (0,src_message/* truncate */.xv)(message.text, 10_000), wrap: true });
    const fields = (0,src_message/* allFields */.Tz)(message);
    if (fields.length > 0) {
        body.push({ type: 'FactSet', facts: fields.map((f) => ({ title: f.name, value: cardLink(f.value, f.url) })) });
    }
    const actions = [];
    if (context.runUrl)
        actions.push({ type: 'Action.OpenUrl', title: 'View run', url: context.runUrl });
    if (context.commitUrl)
        actions.push({ type: 'Action.OpenUrl', title: 'View commit', url: context.commitUrl });
    return {
        $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
        type: 'AdaptiveCard',
        version: '1.4',
        msteams: { width: 'Full' },
        body,
        ...(actions.length > 0 ? { actions } : {}),
    };
}
/** Wraps an Adaptive Card into the message envelope the Workflows webhook expects. */
function teamsEnvelope(card) {
    return {
        type: 'message',
        attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card }],
    };
}
/** The Teams body: the default card, or a `payload` (a bare AdaptiveCard gets the envelope). */
function teamsMessage(message, payload) {
    if (payload)
        return payload.type === 'AdaptiveCard' ? teamsEnvelope(payload) : payload;
    return teamsEnvelope(teamsCard(message));
}
async function sendTeams(url, body, options) {
    const json = JSON.stringify(body);
    return (0,src_delivery/* deliver */.cK)('teams', async () => {
        const res = await (0,src_delivery/* post */.bE)(url, json, {}, options.timeoutMs);
        // 202 Accepted with an empty body is how Workflows says yes.
        (0,src_delivery/* checkResponse */.Mz)(res);
        return {};
    }, options);
}

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
;// CONCATENATED MODULE: ./packages/notify/src/channels/webhook.ts



/**
 * A generic JSON webhook. With a secret, the body is signed like GitHub signs its webhooks:
 * `X-Signature-256: sha256=<hex HMAC-SHA256 of the exact body bytes>`, so receivers can verify it
 * with a constant-time compare.
 */
const SIGNATURE_HEADER = 'X-Signature-256';
function sign(body, secret) {
    return `sha256=${(0,external_node_crypto_.createHmac)('sha256', secret).update(body, 'utf8').digest('hex')}`;
}
/** The default generic body: everything a receiver may want, as plain JSON. */
function webhookMessage(message) {
    const c = message.context;
    return {
        status: message.status.status,
        emoji: message.status.emoji,
        color: message.status.color,
        title: message.title,
        text: message.text,
        environment: message.environment || undefined,
        fields: (0,src_message/* allFields */.Tz)(message).map((f) => ({ name: f.name, value: f.value, ...(f.url ? { url: f.url } : {}) })),
        repository: c.repository,
        ref: c.ref,
        refName: c.refName,
        refType: c.refType,
        sha: c.sha,
        commitUrl: c.commitUrl,
        actor: c.actor,
        workflow: c.workflow,
        job: c.job,
        event: c.event,
        runId: c.runId,
        runNumber: c.runNumber,
        runAttempt: c.runAttempt,
        runUrl: c.runUrl,
        ...(c.prNumber ? { pullRequest: { number: Number(c.prNumber), url: c.prUrl, headRef: c.headRef } } : {}),
    };
}
async function sendWebhook(url, body, secret, options) {
    const json = JSON.stringify(body);
    const headers = secret ? { [SIGNATURE_HEADER]: sign(json, secret) } : {};
    return (0,src_delivery/* deliver */.cK)('webhook', async () => {
        const res = await (0,src_delivery/* post */.bE)(url, json, headers, options.timeoutMs);
        (0,src_delivery/* checkResponse */.Mz)(res);
        try {
            const id = JSON.parse(res.text).id;
            return typeof id === 'string' || typeof id === 'number' ? { id: String(id) } : {};
        }
        catch {
            return {};
        }
    }, options);
}

// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(3024);
;// CONCATENATED MODULE: ./packages/notify/src/context.ts

function readEvent(path) {
    if (!path)
        return {};
    try {
        return JSON.parse((0,external_node_fs_.readFileSync)(path, 'utf8'));
    }
    catch {
        return {};
    }
}
/** Reads the run context from a runner environment (process.env by default). */
function runContext(env = process.env) {
    const serverUrl = (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '');
    const repository = env.GITHUB_REPOSITORY ?? '';
    const repositoryUrl = repository ? `${serverUrl}/${repository}` : '';
    const ref = env.GITHUB_REF ?? '';
    const event = env.GITHUB_EVENT_NAME ?? '';
    const headRef = env.GITHUB_HEAD_REF ?? '';
    const pr = /^refs\/pull\/(\d+)\//.exec(ref);
    const isPr = headRef !== '' || pr !== null;
    const payload = isPr ? readEvent(env.GITHUB_EVENT_PATH) : {};
    const prNumber = pr?.[1] ?? (payload.pull_request?.number !== undefined ? String(payload.pull_request.number) : '');
    // On pull_request events GITHUB_SHA is the merge commit; the head commit is what people pushed.
    const sha = payload.pull_request?.head?.sha ?? env.GITHUB_SHA ?? '';
    let refType = '';
    let refName = env.GITHUB_REF_NAME ?? '';
    if (isPr) {
        refType = 'pull request';
        refName = headRef || payload.pull_request?.head?.ref || refName;
    }
    else if (env.GITHUB_REF_TYPE === 'tag' || ref.startsWith('refs/tags/')) {
        refType = 'tag';
        refName = refName || ref.replace(/^refs\/tags\//, '');
    }
    else if (env.GITHUB_REF_TYPE === 'branch' || ref.startsWith('refs/heads/')) {
        refType = 'branch';
        refName = refName || ref.replace(/^refs\/heads\//, '');
    }
    const runId = env.GITHUB_RUN_ID ?? '';
    const runAttempt = env.GITHUB_RUN_ATTEMPT ?? '';
    let runUrl = repositoryUrl && runId ? `${repositoryUrl}/actions/runs/${runId}` : '';
    if (runUrl && runAttempt && runAttempt !== '1')
        runUrl += `/attempts/${runAttempt}`;
    const actor = env.GITHUB_TRIGGERING_ACTOR || env.GITHUB_ACTOR || '';
    return {
        serverUrl,
        repository,
        repositoryUrl,
        ref,
        refName,
        refType,
        headRef,
        prNumber,
        prUrl: payload.pull_request?.html_url ?? (prNumber && repositoryUrl ? `${repositoryUrl}/pull/${prNumber}` : ''),
        sha,
        shortSha: sha.slice(0, 7),
        commitUrl: repositoryUrl && sha ? `${repositoryUrl}/commit/${sha}` : '',
        actor,
        actorUrl: actor ? `${serverUrl}/${actor}` : '',
        workflow: env.GITHUB_WORKFLOW ?? '',
        job: env.GITHUB_JOB ?? '',
        event,
        runId,
        runNumber: env.GITHUB_RUN_NUMBER ?? '',
        runAttempt,
        runUrl,
    };
}

;// CONCATENATED MODULE: ./packages/notify/src/template.ts

/**
 * `payload` templates: a raw channel payload (JSON or YAML) whose strings may hold
 * `{{variable}}` placeholders from the fixed set below. The payload is parsed first and
 * placeholders are replaced inside string values (and keys), so a value can never break the
 * JSON around it, and nothing is evaluated.
 */
const PLACEHOLDERS = {
    status: 'normalised status: success, failure, cancelled, started, warning, or the free text given',
    status_emoji: 'emoji of the status (✅ ❌ 🚫 🚀 ⚠️ ℹ️)',
    status_color: 'colour of the status, #RRGGBB',
    title: 'the title (given, or the default one)',
    text: 'the `text` input, as given',
    repository: 'owner/name',
    repository_url: 'link to the repository',
    ref: 'full ref, e.g. refs/heads/main',
    ref_name: 'branch or tag name (head branch for pull requests)',
    ref_type: 'branch, tag or pull request',
    branch: 'branch name (head branch for pull requests; empty for tags)',
    tag: 'tag name (empty unless a tag was pushed)',
    sha: 'full commit SHA',
    short_sha: 'first 7 characters of the commit SHA',
    commit_url: 'link to the commit',
    actor: 'who triggered the run',
    workflow: 'workflow name',
    job: 'job id',
    event: 'event that triggered the run',
    run_id: 'run id',
    run_number: 'run number',
    run_attempt: 'run attempt',
    run_url: 'link to the run',
    server_url: 'GitHub server URL',
    environment: 'the `environment` input',
    pr_number: 'pull request number (pull request events)',
    pr_url: 'link to the pull request (pull request events)',
    head_ref: 'pull request head branch (GITHUB_HEAD_REF)',
};
/** The value of every placeholder for a message. */
function placeholderValues(message) {
    const c = message.context;
    return {
        status: message.status.status,
        status_emoji: message.status.emoji,
        status_color: message.status.color,
        title: message.title,
        text: message.text,
        repository: c.repository,
        repository_url: c.repositoryUrl,
        ref: c.ref,
        ref_name: c.refName,
        ref_type: c.refType,
        branch: c.refType === 'tag' ? '' : c.refName,
        tag: c.refType === 'tag' ? c.refName : '',
        sha: c.sha,
        short_sha: c.shortSha,
        commit_url: c.commitUrl,
        actor: c.actor,
        workflow: c.workflow,
        job: c.job,
        event: c.event,
        run_id: c.runId,
        run_number: c.runNumber,
        run_attempt: c.runAttempt,
        run_url: c.runUrl,
        server_url: c.serverUrl,
        environment: message.environment,
        pr_number: c.prNumber,
        pr_url: c.prUrl,
        head_ref: c.headRef,
    };
}
const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
/**
 * Parses the `payload` input (JSON, or YAML when it is not JSON) and checks its placeholders.
 * Throws an InputError naming the problem: invalid JSON/YAML, not an object, unknown placeholder.
 */
async function parsePayload(raw, input = 'payload') {
    const text = raw.trim();
    let value;
    if (text.startsWith('{') || text.startsWith('[')) {
        try {
            value = JSON.parse(text);
        }
        catch (err) {
            // `{ a: 1 }` is YAML flow syntax, not JSON: fall through to YAML before giving up.
            value = await parseYaml(text, input, `invalid JSON (${err.message})`);
        }
    }
    else {
        value = await parseYaml(text, input);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new src/* InputError */.dz(input, raw, 'expected a JSON or YAML object (a mapping of keys to values)');
    }
    const unknown = new Set();
    walkStrings(value, (s) => {
        for (const m of s.matchAll(PLACEHOLDER))
            if (!(m[1] in PLACEHOLDERS))
                unknown.add(m[1]);
        return s;
    });
    if (unknown.size > 0) {
        const names = [...unknown].map((n) => `{{${n}}}`).join(', ');
        throw new src/* InputError */.dz(input, raw, `unknown placeholder ${names}; known: ${Object.keys(PLACEHOLDERS).join(', ')}`);
    }
    return value;
}
async function parseYaml(text, input, jsonProblem) {
    const { parse } = await __webpack_require__.e(/* import() */ 815).then(__webpack_require__.t.bind(__webpack_require__, 8815, 19));
    try {
        return parse(text, { prettyErrors: false, uniqueKeys: true });
    }
    catch (err) {
        const first = (err.message.split('\n')[0] ?? '').trim();
        throw new src/* InputError */.dz(input, text, `expected JSON or YAML: ${jsonProblem ?? `invalid YAML (${first})`}`);
    }
}
/** Replaces the placeholders in every string (values and keys) of a payload. Returns a copy. */
function renderPayload(template, values) {
    return walkStrings(structuredClone(template), (s) => s.replace(PLACEHOLDER, (whole, name) => (Object.hasOwn(values, name) ? values[name] : whole)));
}
function walkStrings(value, fn) {
    if (typeof value === 'string')
        return fn(value);
    if (Array.isArray(value))
        return value.map((v) => walkStrings(v, fn));
    if (value !== null && typeof value === 'object') {
        const out = {};
        for (const [k, v] of Object.entries(value))
            out[fn(k)] = walkStrings(v, fn);
        return out;
    }
    return value;
}

;// CONCATENATED MODULE: ./packages/notify/src/notify.ts







/** The channels a set of targets sends to, in a fixed order. */
function configuredChannels(t) {
    const out = [];
    if (t.slackWebhookUrl)
        out.push('slack');
    if (t.slackApi)
        out.push('slack-api');
    if (t.teamsWebhookUrl)
        out.push('teams');
    if (t.discordWebhookUrl)
        out.push('discord');
    if (t.webhook)
        out.push('webhook');
    if (t.email)
        out.push('email');
    return out;
}
/** Replaces every secret (and its URL-encoded form) in a text with `***`. */
function redact(text, secrets) {
    let out = text;
    const all = new Set();
    for (const s of secrets) {
        if (!s || s.length < 3)
            continue;
        all.add(s);
        all.add(encodeURIComponent(s));
    }
    for (const s of [...all].sort((a, b) => b.length - a.length))
        out = out.split(s).join('***');
    return out;
}
/**
 * Sends one message to every configured channel at once and reports each outcome. Never
 * throws for a channel that fails: the caller decides (warning or failure).
 */
async function notify(message, targets, options) {
    const { logger } = options;
    const secrets = options.secrets ?? [];
    const delivery = {
        retries: options.retries,
        deadlineMs: options.deadlineMs,
        logger: {
            ...logger,
            info: (m) => logger.info(redact(m, secrets)),
            warning: (m) => logger.warning(redact(m, secrets)),
        },
        ...(options.baseDelayMs !== undefined ? { baseDelayMs: options.baseDelayMs } : {}),
        // One request may not outlast the retry deadline by much: a hanging server costs at most
        // the deadline (at least 5 s, at most 30 s) per attempt.
        timeoutMs: options.timeoutMs ?? Math.min(30_000, Math.max(5_000, options.deadlineMs)),
    };
    const payload = targets.payload ? renderPayload(targets.payload, placeholderValues(message)) : undefined;
    const jobs = [];
    if (targets.slackWebhookUrl) {
        const url = targets.slackWebhookUrl;
        jobs.push(['slack', () => sendSlackWebhook(url, payload ?? slackMessage(message), delivery)]);
    }
    if (targets.slackApi) {
        const target = targets.slackApi;
        jobs.push(['slack-api', () => sendSlackApi(target, payload ?? slackMessage(message), delivery)]);
    }
    if (targets.teamsWebhookUrl) {
        const url = targets.teamsWebhookUrl;
        jobs.push(['teams', () => sendTeams(url, teamsMessage(message, payload), delivery)]);
    }
    if (targets.discordWebhookUrl) {
        const url = targets.discordWebhookUrl;
        jobs.push(['discord', () => sendDiscord(url, discordMessage(message, payload), delivery)]);
    }
    if (targets.webhook) {
        const { url, secret } = targets.webhook;
        jobs.push(['webhook', () => sendWebhook(url, payload ?? webhookMessage(message), secret, delivery)]);
    }
    if (targets.email) {
        const email = targets.email;
        jobs.push([
            'email',
            async () => {
                const { sendEmail } = await Promise.resolve(/* import() */).then(__webpack_require__.bind(__webpack_require__, 6888));
                return sendEmail(email, message, delivery);
            },
        ]);
    }
    const result = { channels: [], failed: [] };
    const outcomes = await Promise.all(jobs.map(async ([channel, send]) => {
        const t0 = Date.now();
        try {
            const { value, attempts } = await send();
            if (channel === 'slack-api') {
                result.slackTs = value.ts;
                result.slackChannel = value.channel;
            }
            const outcome = { channel, ok: true, attempts, durationMs: Date.now() - t0 };
            if (value.id)
                outcome.id = value.id;
            logger.info(`${channel}: delivered${attempts > 1 ? ` after ${attempts} attempts` : ''}${value.id ? ` (id ${value.id})` : ''}`);
            return outcome;
        }
        catch (err) {
            const attempts = err instanceof src_delivery/* ChannelError */.Q6 ? err.attempts : 1;
            const error = redact((0,src/* errorMessage */.gJ)(err), secrets);
            return { channel, ok: false, attempts, error, durationMs: Date.now() - t0 };
        }
    }));
    result.channels = outcomes;
    result.failed = outcomes.filter((o) => !o.ok).map((o) => o.channel);
    return result;
}

;// CONCATENATED MODULE: ./packages/notify/src/index.ts













/***/ }),

/***/ 9986:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   J1: () => (/* binding */ slackLink),
/* harmony export */   Vw: () => (/* binding */ toHtml),
/* harmony export */   ZD: () => (/* binding */ escapeHtml),
/* harmony export */   _U: () => (/* binding */ slackEscape),
/* harmony export */   tM: () => (/* binding */ toSlackMrkdwn)
/* harmony export */ });
/* harmony import */ var marked__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(8022);

/**
 * The `text` input is markdown. Discord and Teams render (most of) markdown themselves; Slack
 * has its own "mrkdwn" and email wants HTML. marked's lexer does the parsing; this file only
 * writes the tokens out in Slack's syntax.
 */
/** Escapes the three characters Slack treats as control characters in mrkdwn. */
function slackEscape(text) {
    return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
/** A Slack link `<url|text>`; the text may not hold `|` or `>`. */
function slackLink(url, text) {
    const label = slackEscape(text).replace(/\|/g, '¦');
    return `<${url.replace(/[<>| ]/g, encodeURIComponent)}|${label}>`;
}
function inline(tokens) {
    let out = '';
    for (const t of tokens ?? []) {
        switch (t.type) {
            case 'strong':
                out += `*${inline(t.tokens)}*`;
                break;
            case 'em':
                out += `_${inline(t.tokens)}_`;
                break;
            case 'del':
                out += `~${inline(t.tokens)}~`;
                break;
            case 'codespan':
                out += `\`${slackEscape(t.text)}\``;
                break;
            case 'link': {
                const link = t;
                const label = inline(link.tokens);
                out += link.href === link.text ? `<${link.href}>` : `<${link.href}|${label.replace(/\|/g, '¦')}>`;
                break;
            }
            case 'image': {
                const img = t;
                out += `<${img.href}|${slackEscape(img.text || img.href).replace(/\|/g, '¦')}>`;
                break;
            }
            case 'br':
                out += '\n';
                break;
            case 'text': {
                const text = t;
                out += text.tokens ? inline(text.tokens) : slackEscape(text.text);
                break;
            }
            case 'escape':
                out += slackEscape(t.text);
                break;
            case 'html':
                out += slackEscape(t.text);
                break;
            default:
                out += slackEscape(t.raw);
        }
    }
    return out;
}
function block(tokens, indent = '') {
    const parts = [];
    for (const t of tokens) {
        switch (t.type) {
            case 'space':
            case 'def':
                break;
            case 'heading':
                parts.push(`*${inline(t.tokens)}*`);
                break;
            case 'paragraph':
                parts.push(inline(t.tokens));
                break;
            case 'text': {
                const text = t;
                parts.push(text.tokens ? inline(text.tokens) : slackEscape(text.text));
                break;
            }
            case 'code':
                parts.push(`\`\`\`\n${slackEscape(t.text)}\n\`\`\``);
                break;
            case 'blockquote':
                parts.push(block(t.tokens)
                    .join('\n')
                    .split('\n')
                    .map((l) => `> ${l}`)
                    .join('\n'));
                break;
            case 'hr':
                parts.push('───');
                break;
            case 'list': {
                const list = t;
                const start = typeof list.start === 'number' ? list.start : 1;
                const lines = list.items.map((item, i) => {
                    const bullet = list.ordered ? `${start + i}.` : '•';
                    const box = item.task ? (item.checked ? '☑ ' : '☐ ') : '';
                    const body = block(item.tokens, `${indent}    `).join('\n');
                    return `${indent}${bullet} ${box}${body}`;
                });
                parts.push(lines.join('\n'));
                break;
            }
            case 'table': {
                const table = t;
                const row = (cells) => cells.map((c) => inline(c.tokens)).join(' | ');
                parts.push([`*${row(table.header)}*`, ...table.rows.map(row)].join('\n'));
                break;
            }
            case 'html':
                parts.push(slackEscape(t.text.trim()));
                break;
            default:
                parts.push(slackEscape(t.raw.trim()));
        }
    }
    return parts;
}
/** Markdown to Slack mrkdwn: `**b**` → `*b*`, `[t](u)` → `<u|t>`, headings bold, lists with bullets. */
function toSlackMrkdwn(markdown) {
    if (!markdown.trim())
        return '';
    return block(marked__WEBPACK_IMPORTED_MODULE_0__/* .marked */ .xI.lexer(markdown, { gfm: true }))
        .join('\n\n')
        .trim();
}
// Raw HTML in the text (a commit message, say) is shown as text, never passed into the mail.
const htmlMarked = new marked__WEBPACK_IMPORTED_MODULE_0__/* .Marked */ .Dz({
    gfm: true,
    breaks: true,
    async: false,
    renderer: { html: ({ text }) => escapeHtml(text) },
});
/** Markdown to an HTML fragment (for email), GitHub-flavoured, line breaks kept, raw HTML escaped. */
function toHtml(markdown) {
    if (!markdown.trim())
        return '';
    return htmlMarked.parse(markdown);
}
function escapeHtml(text) {
    return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}


/***/ }),

/***/ 5908:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Tz: () => (/* binding */ allFields),
/* harmony export */   Y6: () => (/* binding */ buildMessage),
/* harmony export */   xv: () => (/* binding */ truncate)
/* harmony export */ });
/* unused harmony exports statusStyle, automaticFields, defaultTitle */
const STYLES = {
    success: { emoji: '✅', color: '#2EB67D', teamsColor: 'Good', verb: 'succeeded' },
    failure: { emoji: '❌', color: '#E01E5A', teamsColor: 'Attention', verb: 'failed' },
    cancelled: { emoji: '🚫', color: '#9E9E9E', teamsColor: 'Default', verb: 'was cancelled' },
    started: { emoji: '🚀', color: '#1D9BD1', teamsColor: 'Accent', verb: 'started' },
    warning: { emoji: '⚠️', color: '#ECB22E', teamsColor: 'Warning', verb: 'finished with warnings' },
};
/** Other spellings callers pass (job.status, step outcomes, common words). */
const ALIASES = {
    succeeded: 'success',
    successful: 'success',
    ok: 'success',
    passed: 'success',
    failed: 'failure',
    fail: 'failure',
    error: 'failure',
    canceled: 'cancelled',
    cancel: 'cancelled',
    skipped: 'cancelled',
    start: 'started',
    running: 'started',
    'in-progress': 'started',
    in_progress: 'started',
    warn: 'warning',
    warnings: 'warning',
};
/** The look of a status. Known statuses are matched case-insensitively; free text keeps its words. */
function statusStyle(status) {
    const key = status.trim().toLowerCase();
    const name = ALIASES[key] ?? key;
    const style = STYLES[name];
    if (style)
        return { status: name, known: true, ...style };
    return { status: status.trim(), known: false, emoji: 'ℹ️', color: '#4A5568', teamsColor: 'Default', verb: status.trim() };
}
/** The fields taken from the run: repository, ref, commit, actor, workflow, event, run, environment. */
function automaticFields(ctx, environment = '') {
    const out = [];
    const add = (name, value, url) => {
        if (value)
            out.push(url ? { name, value, url } : { name, value });
    };
    add('Repository', ctx.repository, ctx.repositoryUrl || undefined);
    if (ctx.refType === 'pull request') {
        add('Pull request', ctx.prNumber ? `#${ctx.prNumber} (${ctx.refName})` : ctx.refName, ctx.prUrl || undefined);
    }
    else if (ctx.refType === 'tag') {
        add('Tag', ctx.refName, ctx.repositoryUrl ? `${ctx.repositoryUrl}/releases/tag/${ctx.refName}` : undefined);
    }
    else {
        add('Branch', ctx.refName || ctx.ref, ctx.repositoryUrl && ctx.refName ? `${ctx.repositoryUrl}/tree/${ctx.refName}` : undefined);
    }
    add('Commit', ctx.shortSha, ctx.commitUrl || undefined);
    add('Actor', ctx.actor, ctx.actorUrl || undefined);
    add('Workflow', ctx.workflow, ctx.runUrl || undefined);
    add('Event', ctx.event);
    add('Run', ctx.runNumber ? `#${ctx.runNumber}` : ctx.runId, ctx.runUrl || undefined);
    add('Environment', environment);
    return out;
}
/** The default title: `✅ CI succeeded on tripo04os/ai-support (production)`. */
function defaultTitle(style, ctx, environment) {
    const what = ctx.workflow || 'Workflow';
    const where = ctx.repository ? ` on ${ctx.repository}` : '';
    const env = environment ? ` (${environment})` : '';
    const verb = style.known ? style.verb : `: ${style.verb}`;
    return `${what}${style.known ? ' ' : ''}${verb}${where}${env}`;
}
/** Builds the message every channel renders. */
function buildMessage(input, ctx) {
    const status = statusStyle(input.status || 'success');
    const environment = input.environment ?? '';
    const fields = Array.isArray(input.fields) ? input.fields : Object.entries(input.fields ?? {}).map(([name, value]) => ({ name, value }));
    return {
        status,
        title: input.title || defaultTitle(status, ctx, environment),
        text: input.text ?? '',
        fields,
        automatic: input.automaticFields === false ? [] : automaticFields(ctx, environment),
        context: ctx,
        environment,
    };
}
/** Every field the channels show: the automatic ones first, then the caller's. */
function allFields(message) {
    return [...message.automatic, ...message.fields];
}
/** Cuts text to at most `max` characters (code points), ending with `…` when cut. */
function truncate(text, max) {
    if (max <= 0)
        return '';
    const chars = Array.from(text);
    if (chars.length <= max)
        return text;
    return `${chars.slice(0, max - 1).join('')}…`;
}


/***/ })

};
