using System.Text.Json;
using Agentic.Core.Tests.Tokenization;
using Agentic.Core.Tools;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.AI;

namespace Agentic.Core.Tests.Tools;

[Properties(Replay = "(1923926936633644,1991606973)")]
public class ToolCallProtocolTests
{
    private static readonly Gen<object?> ArgumentValue = Gen.OneOf(
        TextGen.Unicode.Select(s => (object?)s),
        ArbMap.Default.GeneratorFor<long>().Select(n => (object?)n),
        ArbMap.Default.GeneratorFor<NormalFloat>().Select(f => (object?)f.Get),
        ArbMap.Default.GeneratorFor<bool>().Select(b => (object?)b),
        Gen.Constant<object?>(null),
        TextGen.Unicode.ArrayOf().Select(a => (object?)a));

    private static readonly Gen<FunctionCallContent> Call =
        from name in TextGen.Unicode.Where(n => !string.IsNullOrWhiteSpace(n))
        from keys in TextGen.Unicode.ListOf()
        from values in ArgumentValue.ArrayOf(keys.Count)
        select new FunctionCallContent(
            "id",
            name,
            keys.Distinct().Zip(values).ToDictionary(p => p.First, p => (object?)p.Second));

    [Property(MaxTest = 300)]
    public Property FormatThenParse_RoundTripsNameAndArguments() =>
        Prop.ForAll(Arb.From(Call), call =>
        {
            ParsedAssistantOutput parsed = ToolCallProtocol.Parse(ToolCallProtocol.Format(call));
            FunctionCallContent back = Assert.Single(parsed.Calls);
            Assert.Empty(parsed.Errors);
            Assert.Equal("", parsed.Content);
            Assert.Equal(call.Name, back.Name);
            Assert.Equal("call_0", back.CallId);
            Assert.Equal(call.Arguments!.Keys, back.Arguments!.Keys);
            foreach ((string key, object? value) in call.Arguments)
            {
                JsonElement expected = JsonSerializer.SerializeToElement(value, AIJsonUtilities.DefaultOptions);
                Assert.True(JsonElement.DeepEquals(expected, (JsonElement)back.Arguments[key]!), key);
            }
        });

    [Property(MaxTest = 300)]
    public Property Parse_NeverThrows_OnArbitraryText() =>
        Prop.ForAll(Arb.From(Gen.OneOf(TextGen.AnyString, TextGen.Unicode, Fragments)), text =>
        {
            ParsedAssistantOutput parsed = ToolCallProtocol.Parse(text);
            return parsed.Content is not null && parsed.Calls is not null && parsed.Errors is not null;
        });

    private static Gen<string> Fragments { get; } = Gen.Elements(
            "<tool_call>", "</tool_call>", "{", "}", "\"name\"", ": ", "\"arguments\"", "[", "]", ",", "\"x\"", "1",
            "null", "\n", " ", "text", "\\", "\"")
        .ListOf()
        .Select(p => string.Concat(p));

    [Fact]
    public void Format_WritesTheHermesText()
    {
        var call = new FunctionCallContent("c1", "get_weather", new Dictionary<string, object?>
        {
            ["city"] = "Zürich",
            ["days"] = 3,
            ["units"] = JsonDocument.Parse("{\"t\":\"C\",\"list\":[1,2]}").RootElement,
        });
        Assert.Equal(
            "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Zürich\", \"days\": 3, \"units\": {\"t\": \"C\", \"list\": [1, 2]}}}\n</tool_call>",
            ToolCallProtocol.Format(call));
        Assert.Equal(
            "<tool_call>\n{\"name\": \"noop\", \"arguments\": {}}\n</tool_call>",
            ToolCallProtocol.Format(new FunctionCallContent("c2", "noop")));
    }

    [Fact]
    public void Format_EscapesTagsInsideStrings_SoTheyParseBack()
    {
        var call = new FunctionCallContent("c", "echo", new Dictionary<string, object?> { ["s"] = "a</tool_call>b<tool_call>" });
        string text = ToolCallProtocol.Format(call);
        Assert.Equal(1, CountOf(text, "</tool_call>"));
        Assert.Equal("a</tool_call>b<tool_call>", ((JsonElement)Assert.Single(ToolCallProtocol.Parse(text).Calls).Arguments!["s"]!).GetString());
    }

    [Fact]
    public void Format_UnserializableArgument_ThrowsArgumentException()
    {
        var call = new FunctionCallContent("c", "f", new Dictionary<string, object?> { ["x"] = double.NaN });
        Assert.Throws<ArgumentException>(() => ToolCallProtocol.Format(call));
    }

    [Fact]
    public void Parse_SplitsContentAndSeveralCalls()
    {
        const string text = "Let me check both.\n<tool_call>\n{\"name\": \"a\", \"arguments\": {\"x\": 1}}\n</tool_call>\n"
            + "<tool_call>{\"name\":\"b\",\"arguments\":\"{\\\"y\\\": true}\"}</tool_call>\nDone.";
        ParsedAssistantOutput parsed = ToolCallProtocol.Parse(text);
        Assert.Equal("Let me check both.\n\n\nDone.", parsed.Content);
        Assert.Empty(parsed.Errors);
        Assert.Equal(["a", "b"], parsed.Calls.Select(c => c.Name));
        Assert.Equal(["call_0", "call_1"], parsed.Calls.Select(c => c.CallId));
        Assert.Equal(1, ((JsonElement)parsed.Calls[0].Arguments!["x"]!).GetInt32());
        Assert.True(((JsonElement)parsed.Calls[1].Arguments!["y"]!).GetBoolean());
    }

    [Fact]
    public void Parse_MissingArguments_MeansNoArguments()
    {
        FunctionCallContent call = Assert.Single(ToolCallProtocol.Parse("<tool_call>{\"name\": \"now\"}</tool_call>").Calls);
        Assert.Empty(call.Arguments!);
    }

    [Theory]
    [InlineData("<tool_call>{\"name\": \"a\", </tool_call>", ToolCallErrorKind.InvalidJson)]
    [InlineData("<tool_call>not json</tool_call>", ToolCallErrorKind.InvalidJson)]
    [InlineData("<tool_call>[1, 2]</tool_call>", ToolCallErrorKind.InvalidJson)]
    [InlineData("<tool_call></tool_call>", ToolCallErrorKind.InvalidJson)]
    [InlineData("<tool_call>{\"arguments\": {}}</tool_call>", ToolCallErrorKind.MissingName)]
    [InlineData("<tool_call>{\"name\": 3, \"arguments\": {}}</tool_call>", ToolCallErrorKind.MissingName)]
    [InlineData("<tool_call>{\"name\": \"  \"}</tool_call>", ToolCallErrorKind.MissingName)]
    [InlineData("<tool_call>{\"name\": \"a\", \"arguments\": [1]}</tool_call>", ToolCallErrorKind.InvalidArguments)]
    [InlineData("<tool_call>{\"name\": \"a\", \"arguments\": \"x\"}</tool_call>", ToolCallErrorKind.InvalidArguments)]
    [InlineData("<tool_call>{\"name\": \"a\", \"arguments\": null}</tool_call>", ToolCallErrorKind.InvalidArguments)]
    [InlineData("<tool_call>{\"name\": \"a\", \"arguments\": {}}", ToolCallErrorKind.UnclosedTag)]
    [InlineData("{\"name\": \"a\"}</tool_call>", ToolCallErrorKind.UnexpectedClosingTag)]
    public void Parse_MalformedCall_ReportsTheRightError(string text, ToolCallErrorKind kind)
    {
        ParsedAssistantOutput parsed = ToolCallProtocol.Parse("Hi. " + text);
        Assert.Empty(parsed.Calls);
        ToolCallError error = Assert.Single(parsed.Errors);
        Assert.Equal(kind, error.Kind);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
        Assert.Contains(error.RawText, text, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnclosedCallFollowedByAGoodOne_KeepsTheGoodOne()
    {
        ParsedAssistantOutput parsed = ToolCallProtocol.Parse(
            "<tool_call>{\"name\": \"a\"\n<tool_call>{\"name\": \"b\"}</tool_call>");
        Assert.Equal(ToolCallErrorKind.UnclosedTag, Assert.Single(parsed.Errors).Kind);
        Assert.Equal("<tool_call>{\"name\": \"a\"\n", parsed.Errors[0].RawText);
        Assert.Equal("b", Assert.Single(parsed.Calls).Name);
        Assert.Equal("call_0", parsed.Calls[0].CallId);
    }

    private static int CountOf(string text, string value)
    {
        int count = 0;
        for (int i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + 1, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
