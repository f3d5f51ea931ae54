using System.Text.Json;
using Agentic.Core.Chat;
using Agentic.Core.Tests.Tokenization;
using Agentic.Core.Tokenization;
using Agentic.Core.Tools;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.AI;

namespace Agentic.Core.Tests.Chat;

[Properties(Replay = "(3447133763130024,3972071739)")]
public class ChatTemplateTests
{
    private static readonly ByteLevelTokenizer Tokenizer = ByteLevelTokenizer.CreateDefault();
    private static readonly ChatTemplate Template = new(Tokenizer);

    private static readonly AIFunctionDeclaration WeatherTool = AIFunctionFactory.CreateDeclaration(
        "get_weather",
        "Current weather for a city.",
        JsonDocument.Parse("{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}").RootElement);

    private static List<ChatMessage> ToolConversation() =>
    [
        new(ChatRole.System, "You are helpful."),
        new(ChatRole.User, "Weather in Zürich?"),
        new(ChatRole.Assistant, [
            new TextContent("Let me check."),
            new FunctionCallContent("c1", "get_weather", new Dictionary<string, object?> { ["city"] = "Zürich" }),
        ]),
        new(ChatRole.Tool, [new FunctionResultContent("c1", new Dictionary<string, object?> { ["temp_c"] = 18, ["sky"] = "sunny" })]),
        new(ChatRole.Assistant, "It is 18°C and sunny."),
    ];

    [Fact]
    public void Encode_ToolConversation_RendersChatMLWithHermesToolCalls()
    {
        TokenizedConversation encoded = Template.Encode(ToolConversation(), [WeatherTool]);

        Assert.Equal(
            "<|im_start|>system\nYou are helpful.\n\n<tools>\n"
            + "{\"name\": \"get_weather\", \"description\": \"Current weather for a city.\", \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}}\n"
            + "</tools><|im_end|>\n"
            + "<|im_start|>user\nWeather in Zürich?<|im_end|>\n"
            + "<|im_start|>assistant\nLet me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Zürich\"}}\n</tool_call><|im_end|>\n"
            + "<|im_start|>tool\n<tool_response>\n{\"temp_c\": 18, \"sky\": \"sunny\"}\n</tool_response><|im_end|>\n"
            + "<|im_start|>assistant\nIt is 18°C and sunny.<|im_end|>\n",
            Tokenizer.Decode(encoded.Ids));
    }

    [Fact]
    public void LossMask_CoversExactlyTheAssistantBodiesAndTheirEndOfTurn()
    {
        TokenizedConversation encoded = Template.Encode(ToolConversation(), [WeatherTool], addGenerationPrompt: true);
        Assert.Equal(encoded.Ids.Length, encoded.LossMask.Length);

        Assert.Equal(
            [
                "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Zürich\"}}\n</tool_call><|im_end|>",
                "It is 18°C and sunny.<|im_end|>",
            ],
            Spans(encoded, masked: true));

        List<string> unmasked = Spans(encoded, masked: false);
        Assert.Equal(3, unmasked.Count);
        Assert.EndsWith("<|im_start|>assistant\n", unmasked[0], StringComparison.Ordinal);
        Assert.Equal("\n<|im_start|>tool\n<tool_response>\n{\"temp_c\": 18, \"sky\": \"sunny\"}\n</tool_response><|im_end|>\n<|im_start|>assistant\n", unmasked[1]);
        Assert.Equal("\n<|im_start|>assistant\n", unmasked[2]);

        // The masked assistant text parses back into the call that was rendered.
        ParsedAssistantOutput parsed = ToolCallProtocol.Parse(Spans(encoded, masked: true)[0].Replace("<|im_end|>", "", StringComparison.Ordinal));
        Assert.Equal("Let me check.", parsed.Content);
        Assert.Equal("get_weather", Assert.Single(parsed.Calls).Name);
    }

    [Fact]
    public void SpecialTokens_InTheTemplate_AreSingleIds()
    {
        TokenizedConversation encoded = Template.Encode(ToolConversation(), [WeatherTool]);
        foreach (string token in new[] { "<|im_start|>", "<|im_end|>", "<tool_call>", "</tool_call>", "<tool_response>", "<tools>" })
        {
            Assert.Contains(Tokenizer.SpecialTokens[token], encoded.Ids);
        }
    }

    [Property(MaxTest = 150)]
    public Property Encode_EqualsTheConcatenationOfItsMessages() =>
        Prop.ForAll(Arb.From(Conversation), Arb.From(ArbMap.Default.GeneratorFor<bool>()), (messages, prompt) =>
        {
            TokenizedConversation whole = Template.Encode(messages, addGenerationPrompt: prompt);
            var parts = messages.Select(Template.EncodeMessage).ToList();
            if (prompt)
            {
                parts.Add(new TokenizedConversation(Template.GenerationPrompt, new bool[Template.GenerationPrompt.Length]));
            }

            TokenizedConversation joined = TokenizedConversation.Concat(parts);
            return whole.Ids.SequenceEqual(joined.Ids) && whole.LossMask.SequenceEqual(joined.LossMask)
                && messages.Zip(parts).All(p => p.Second.LossMask.Any(m => m) == (p.First.Role == ChatRole.Assistant));
        });

    [Fact]
    public void GenerationPromptAndStopTokens()
    {
        Assert.Equal("<|im_start|>assistant\n", Tokenizer.Decode(Template.GenerationPrompt));
        Assert.Equal(Tokenizer.SpecialTokens["<|im_end|>"], Template.EndOfTurnId);
        Assert.Equal([Template.EndOfTurnId, Tokenizer.EndOfTextId], Template.StopTokenIds);
    }

    [Fact]
    public void DefaultSystemPrompt_IsAdded_WhenTheConversationHasNone()
    {
        var template = new ChatTemplate(Tokenizer, new ChatTemplateOptions { DefaultSystemPrompt = "Be brief." });
        string text = Tokenizer.Decode(template.Encode([new ChatMessage(ChatRole.User, "hi")]).Ids);
        Assert.Equal("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n", text);
    }

    [Fact]
    public void Tools_WithoutSystemMessage_GetASynthesizedOne_UnlessDisabled()
    {
        string text = Tokenizer.Decode(Template.Encode([new ChatMessage(ChatRole.User, "hi")], [WeatherTool]).Ids);
        Assert.StartsWith("<|im_start|>system\n<tools>\n{\"name\": \"get_weather\"", text, StringComparison.Ordinal);

        var noTools = new ChatTemplate(Tokenizer, new ChatTemplateOptions { IncludeToolsInSystemPrompt = false });
        Assert.Equal(
            "<|im_start|>user\nhi<|im_end|>\n",
            Tokenizer.Decode(noTools.Encode([new ChatMessage(ChatRole.User, "hi")], [WeatherTool]).Ids));
    }

    [Fact]
    public void Reasoning_RendersAsThinkBlock()
    {
        var message = new ChatMessage(ChatRole.Assistant, [new TextReasoningContent("2+2=4"), new TextContent("4")]);
        Assert.Equal(
            "<|im_start|>assistant\n<think>\n2+2=4\n</think>\n\n4<|im_end|>\n",
            Tokenizer.Decode(Template.EncodeMessage(message).Ids));
    }

    [Fact]
    public void UnsupportedContent_Throws()
    {
        var message = new ChatMessage(ChatRole.User, [new DataContent(new byte[] { 1 }, "image/png")]);
        Assert.Throws<NotSupportedException>(() => Template.EncodeMessage(message));
    }

    [Fact]
    public void Constructor_RequiresTheTurnTokens()
    {
        Assert.Throws<ArgumentException>(() => new ChatTemplate(new ByteLevelTokenizer(["<|endoftext|>"])));
        var minimal = new ChatTemplate(new ByteLevelTokenizer(["<|im_start|>", "<|im_end|>"]));
        Assert.Equal([257], minimal.StopTokenIds);
    }

    [Fact]
    public void TokenizedConversation_ValidatesLengths()
    {
        Assert.Throws<ArgumentException>(() => new TokenizedConversation([1, 2], [true]));
        Assert.Equal(0, TokenizedConversation.Concat().Count);
    }

    private static readonly Gen<ChatMessage> Message = Gen.OneOf(
        TextGen.Unicode.Select(t => new ChatMessage(ChatRole.System, t)),
        TextGen.Unicode.Select(t => new ChatMessage(ChatRole.User, t)),
        TextGen.Unicode.Select(t => new ChatMessage(ChatRole.Assistant, t)),
        Gen.Zip(TextGen.Unicode, TextGen.Unicode.Where(n => n.Trim().Length > 0)).Select(p => new ChatMessage(ChatRole.Assistant, [
            new TextContent(p.Item1),
            new FunctionCallContent("c", p.Item2, new Dictionary<string, object?> { ["q"] = p.Item1 }),
        ])),
        TextGen.Unicode.Select(t => new ChatMessage(ChatRole.Tool, [new FunctionResultContent("c", t)])));

    private static readonly Gen<List<ChatMessage>> Conversation = Message.ListOf().Select(l => l.ToList());

    /// <summary>Decodes each maximal run of tokens whose mask equals <paramref name="masked"/>.</summary>
    private static List<string> Spans(TokenizedConversation conversation, bool masked)
    {
        var spans = new List<string>();
        var run = new List<int>();
        for (int i = 0; i <= conversation.Count; i++)
        {
            if (i < conversation.Count && conversation.LossMask[i] == masked)
            {
                run.Add(conversation.Ids[i]);
            }
            else if (run.Count > 0)
            {
                spans.Add(Tokenizer.Decode(run));
                run.Clear();
            }
        }

        return spans;
    }
}
