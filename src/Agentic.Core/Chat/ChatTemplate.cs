using System.Text;
using System.Text.Json;
using Agentic.Core.Tools;
using Microsoft.Extensions.AI;
using Microsoft.ML.Tokenizers;

namespace Agentic.Core.Chat;

/// <summary>
/// The ChatML chat template with Hermes/Qwen tool calls: turns conversations of <see cref="ChatMessage"/> into token
/// ids and a loss mask.
/// </summary>
/// <remarks>
/// <para>
/// Each message renders as <c>&lt;|im_start|&gt;{role}\n{body}&lt;|im_end|&gt;\n</c>. The body is the message text;
/// assistant tool calls follow it as <see cref="ToolCallProtocol.Format"/> blocks, tool results render as
/// <c>&lt;tool_response&gt;\n{result}\n&lt;/tool_response&gt;</c> blocks, and reasoning
/// (<see cref="TextReasoningContent"/>) goes first as <c>&lt;think&gt;\n{reasoning}\n&lt;/think&gt;\n\n</c>. Blocks
/// are separated by one newline. Tools are listed in the system message, one JSON object per line inside
/// <c>&lt;tools&gt;</c> tags.
/// </para>
/// <para>
/// The header (<c>&lt;|im_start|&gt;{role}\n</c>), the body with the closing <c>&lt;|im_end|&gt;</c>, and the trailing
/// newline are encoded separately and concatenated, so a conversation encodes to exactly the concatenation of its
/// messages' <see cref="EncodeMessage"/> segments and turns can be appended token-in, token-out. The body text is
/// encoded with the tokenizer's special tokens, so special-token text inside a message (for example
/// <c>&lt;tool_call&gt;</c>) becomes the special id, as it would when the model generates it.
/// </para>
/// <para>
/// Subclasses can change how a message body or the tool list is rendered by overriding <see cref="RenderBody"/> and
/// <see cref="RenderTools"/>; the turn structure and the loss mask stay the same.
/// </para>
/// </remarks>
public class ChatTemplate
{
    /// <summary>The token that opens a turn.</summary>
    public const string TurnStartToken = "<|im_start|>";

    /// <summary>The token that closes a turn.</summary>
    public const string TurnEndToken = "<|im_end|>";

    private const string EndOfTextToken = "<|endoftext|>";

    private readonly Tokenizer _tokenizer;
    private readonly ChatTemplateOptions _options;
    private readonly int _turnStartId;
    private readonly int[] _newline;
    private readonly int[] _generationPrompt;
    private readonly int[] _stopTokenIds;

    /// <summary>Creates a chat template over a tokenizer.</summary>
    /// <param name="tokenizer">
    /// A tokenizer that encodes <c>&lt;|im_start|&gt;</c> and <c>&lt;|im_end|&gt;</c> to one id each, such as
    /// <see cref="Tokenization.ByteLevelTokenizer.CreateDefault"/>.
    /// </param>
    /// <param name="options">The options, or <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentNullException"><paramref name="tokenizer"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The tokenizer does not have the turn tokens as single tokens.</exception>
    public ChatTemplate(Tokenizer tokenizer, ChatTemplateOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _tokenizer = tokenizer;
        _options = options ?? new ChatTemplateOptions();
        _turnStartId = SingleTokenId(tokenizer, TurnStartToken)
            ?? throw new ArgumentException($"The tokenizer must encode '{TurnStartToken}' as one token.", nameof(tokenizer));
        EndOfTurnId = SingleTokenId(tokenizer, TurnEndToken)
            ?? throw new ArgumentException($"The tokenizer must encode '{TurnEndToken}' as one token.", nameof(tokenizer));
        _newline = EncodeText("\n");
        _generationPrompt = [_turnStartId, .. EncodeText(ChatRole.Assistant.Value + "\n")];
        int? endOfText = SingleTokenId(tokenizer, EndOfTextToken);
        _stopTokenIds = endOfText is { } eot && eot != EndOfTurnId ? [EndOfTurnId, eot] : [EndOfTurnId];
    }

    /// <summary>The ids of <c>&lt;|im_start|&gt;assistant\n</c>, which prompt the model to write a turn. A fresh copy.</summary>
    public int[] GenerationPrompt => (int[])_generationPrompt.Clone();

    /// <summary>The id of <c>&lt;|im_end|&gt;</c>, which ends a turn.</summary>
    public int EndOfTurnId { get; }

    /// <summary>The ids that end generation: <see cref="EndOfTurnId"/>, then <c>&lt;|endoftext|&gt;</c> if the tokenizer has it.</summary>
    public IReadOnlyList<int> StopTokenIds => _stopTokenIds;

    /// <summary>Encodes a conversation.</summary>
    /// <param name="messages">The messages, in order.</param>
    /// <param name="tools">
    /// Tools to list in the system message (the first message if it is a system message, otherwise a new one with
    /// <see cref="ChatTemplateOptions.DefaultSystemPrompt"/>), or <see langword="null"/>.
    /// </param>
    /// <param name="addGenerationPrompt">Whether to end with <see cref="GenerationPrompt"/> (masked out).</param>
    /// <returns>The ids and the loss mask, which is true exactly on the assistant bodies and their <c>&lt;|im_end|&gt;</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="messages"/> or a message is <see langword="null"/>.</exception>
    /// <exception cref="NotSupportedException">A message holds content other than text, reasoning, function calls and results.</exception>
    /// <exception cref="ArgumentException">A tool-call argument cannot be serialized to JSON.</exception>
    public TokenizedConversation Encode(IEnumerable<ChatMessage> messages, IList<AITool>? tools = null, bool addGenerationPrompt = false)
    {
        ArgumentNullException.ThrowIfNull(messages);
        List<ChatMessage> list = messages.ToList();
        foreach (ChatMessage message in list)
        {
            ArgumentNullException.ThrowIfNull(message, nameof(messages));
        }

        var parts = new List<TokenizedConversation>(list.Count + 2);
        bool startsWithSystem = list.Count > 0 && list[0].Role == ChatRole.System;
        bool listTools = tools is { Count: > 0 } && _options.IncludeToolsInSystemPrompt;
        int first = 0;
        if (listTools || (!startsWithSystem && _options.DefaultSystemPrompt is not null))
        {
            string system = startsWithSystem ? RenderBody(list[0]) : _options.DefaultSystemPrompt ?? string.Empty;
            if (listTools)
            {
                string toolList = RenderTools(tools!);
                system = system.Length == 0 ? toolList : system + "\n\n" + toolList;
            }

            parts.Add(EncodeTurn(ChatRole.System.Value, system, trainable: false));
            first = startsWithSystem ? 1 : 0;
        }

        for (int i = first; i < list.Count; i++)
        {
            parts.Add(EncodeMessage(list[i]));
        }

        if (addGenerationPrompt)
        {
            parts.Add(new TokenizedConversation(GenerationPrompt, new bool[_generationPrompt.Length]));
        }

        return TokenizedConversation.Concat(parts);
    }

    /// <summary>Encodes one message as the segment it contributes to a conversation.</summary>
    /// <param name="message">The message.</param>
    /// <returns>
    /// The ids of <c>&lt;|im_start|&gt;{role}\n{body}&lt;|im_end|&gt;\n</c>; the mask is true on the body and
    /// <c>&lt;|im_end|&gt;</c> of an assistant message and false everywhere else.
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is <see langword="null"/>.</exception>
    /// <exception cref="NotSupportedException">The message holds content other than text, reasoning, function calls and results.</exception>
    /// <exception cref="ArgumentException">A tool-call argument cannot be serialized to JSON.</exception>
    public TokenizedConversation EncodeMessage(ChatMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return EncodeTurn(message.Role.Value, RenderBody(message), trainable: message.Role == ChatRole.Assistant);
    }

    /// <summary>Renders the text between a message's header and its <c>&lt;|im_end|&gt;</c>.</summary>
    /// <param name="message">The message.</param>
    /// <returns>The body text.</returns>
    /// <exception cref="NotSupportedException">The message holds content other than text, reasoning, function calls and results.</exception>
    protected virtual string RenderBody(ChatMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var reasoning = new StringBuilder();
        var text = new StringBuilder();
        var blocks = new List<string>();
        foreach (AIContent content in message.Contents)
        {
            switch (content)
            {
                case TextContent t:
                    text.Append(t.Text);
                    break;
                case TextReasoningContent r:
                    reasoning.Append(r.Text);
                    break;
                case FunctionCallContent call:
                    blocks.Add(ToolCallProtocol.Format(call));
                    break;
                case FunctionResultContent result:
                    blocks.Add(FormatToolResponse(FormatResult(result)));
                    break;
                default:
                    throw new NotSupportedException(
                        $"The chat template cannot render {content.GetType().Name} in a {message.Role} message.");
            }
        }

        if (text.Length > 0)
        {
            // A tool message's plain text is its result.
            blocks.Insert(0, message.Role == ChatRole.Tool ? FormatToolResponse(text.ToString()) : text.ToString());
        }

        string body = string.Join('\n', blocks);
        return reasoning.Length > 0 ? $"<think>\n{reasoning}\n</think>\n\n{body}" : body;
    }

    /// <summary>
    /// Renders the tool list for the system message: <c>&lt;tools&gt;</c>, one
    /// <c>{"name": ..., "description": ..., "parameters": ...}</c> object per line, <c>&lt;/tools&gt;</c>.
    /// </summary>
    /// <param name="tools">The tools; <see cref="AIFunctionDeclaration.JsonSchema"/> gives the parameters, and tools
    /// that are not function declarations are listed without parameters.</param>
    /// <returns>The tool list text.</returns>
    protected virtual string RenderTools(IList<AITool> tools)
    {
        ArgumentNullException.ThrowIfNull(tools);
        var builder = new StringBuilder("<tools>\n");
        foreach (AITool tool in tools)
        {
            builder.Append("{\"name\": ");
            CanonicalJson.WriteString(builder, tool.Name);
            builder.Append(", \"description\": ");
            CanonicalJson.WriteString(builder, tool.Description ?? string.Empty);
            if (tool is AIFunctionDeclaration function)
            {
                builder.Append(", \"parameters\": ");
                CanonicalJson.Write(builder, function.JsonSchema);
            }

            builder.Append("}\n");
        }

        return builder.Append("</tools>").ToString();
    }

    private static string FormatToolResponse(string result) => $"<tool_response>\n{result}\n</tool_response>";

    private static string FormatResult(FunctionResultContent result)
    {
        switch (result.Result)
        {
            case null:
                return result.Exception is { } ex ? "Error: " + ex.Message : string.Empty;
            case string s:
                return s;
            case JsonElement { ValueKind: JsonValueKind.String } e:
                return e.GetString()!;
            default:
                var builder = new StringBuilder();
                CanonicalJson.Write(builder, CanonicalJson.ToElement(result.Result));
                return builder.ToString();
        }
    }

    private TokenizedConversation EncodeTurn(string role, string body, bool trainable)
    {
        int[] header = [_turnStartId, .. EncodeText(role + "\n")];
        int[] content = [.. EncodeText(body), EndOfTurnId];
        int[] ids = [.. header, .. content, .. _newline];
        var mask = new bool[ids.Length];
        if (trainable)
        {
            Array.Fill(mask, true, header.Length, content.Length);
        }

        return new TokenizedConversation(ids, mask);
    }

    private int[] EncodeText(string text) => text.Length == 0 ? [] : [.. _tokenizer.EncodeToIds(text)];

    private static int? SingleTokenId(Tokenizer tokenizer, string token)
    {
        IReadOnlyList<int> ids = tokenizer.EncodeToIds(token);
        return ids.Count == 1 ? ids[0] : null;
    }
}
