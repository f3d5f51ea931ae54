using Agentic.Core.Chat;
using Agentic.Core.ChatCompletion;
using Agentic.Core.Generation;
using Agentic.Core.Sampling;
using Agentic.Core.Tokenization;
using Microsoft.Extensions.AI;
using Microsoft.ML.Tokenizers;

namespace Agentic.Core.Tests.ChatCompletion;

public class LocalPolicyChatClientTests
{
    private static readonly ByteLevelTokenizer Tokenizer = ByteLevelTokenizer.CreateDefault();
    private static readonly ChatTemplate Template = new(Tokenizer);

    private sealed class ScriptedGenerator(Func<string, string> reply) : ITokenGenerator
    {
        public SamplingOptions? LastOptions { get; private set; }
        public int VocabularySize => Tokenizer.VocabularySize;

        public IReadOnlyList<GenerationResult> Generate(IReadOnlyList<IReadOnlyList<int>> prompts, SamplingOptions options, CancellationToken cancellationToken = default)
        {
            LastOptions = options;
            return prompts.Select(p =>
            {
                var ids = Tokenizer.EncodeToIds(reply(Tokenizer.Decode(p)) + ChatTemplate.TurnEndToken).ToArray();
                return new GenerationResult(ids, new float[ids.Length], FinishReason.Stop);
            }).ToArray();
        }
    }

    [Fact]
    public async Task Tool_calls_surface_as_function_calls_so_function_invocation_works()
    {
        int invoked = 0;
        var weather = AIFunctionFactory.Create((string city) => { invoked++; return $"sunny in {city}"; }, "weather", "Gets the weather.");
        var generator = new ScriptedGenerator(prompt => prompt.Contains("<tool_response>")
            ? "It is sunny."
            : "<tool_call>\n{\"name\": \"weather\", \"arguments\": {\"city\": \"Oslo\"}}\n</tool_call>");
        using var client = new ChatClientBuilder(new LocalPolicyChatClient(generator, Template, Tokenizer)).UseFunctionInvocation().Build();

        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Weather in Oslo?")], new ChatOptions { Tools = [weather] });

        Assert.Equal(1, invoked);
        Assert.Equal("It is sunny.", response.Text);
    }

    [Fact]
    public async Task Chat_options_map_onto_the_sampler_and_usage_is_reported()
    {
        var generator = new ScriptedGenerator(_ => "hello");
        var client = new LocalPolicyChatClient(generator, Template, Tokenizer);
        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")],
            new ChatOptions { Temperature = 0.7f, TopP = 0.9f, TopK = 5, Seed = 42, MaxOutputTokens = 17, StopSequences = ["END"] });

        var o = generator.LastOptions!;
        Assert.Equal((0.7f, 0.9f, 5, 17, 42UL), (o.Temperature, o.TopP, o.TopK, o.MaxNewTokens, o.Seed!.Value));
        Assert.Equal(Tokenizer.EncodeToIds("END"), o.StopSequences.Single());
        Assert.Equal(Template.StopTokenIds, o.StopTokenIds);
        Assert.Equal("hello", response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal(response.Usage!.InputTokenCount + response.Usage.OutputTokenCount, response.Usage.TotalTokenCount);
        Assert.Equal(6, response.Usage.OutputTokenCount);

        Assert.NotNull(client.GetService<ChatClientMetadata>());
        Assert.Same(generator, client.GetService<ITokenGenerator>());
        Assert.Same(Tokenizer, client.GetService<Tokenizer>());

        var streamed = string.Concat(await client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "hi")]).Select(u => u.Text).ToListAsync());
        Assert.Equal("hello", streamed);
    }

    [Fact]
    public async Task Malformed_tool_calls_come_back_as_error_content()
    {
        var client = new LocalPolicyChatClient(new ScriptedGenerator(_ => "<tool_call>{broken</tool_call>"), Template, Tokenizer);
        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")]);
        Assert.Single(response.Messages[0].Contents.OfType<ErrorContent>());
        Assert.Empty(response.Messages[0].Contents.OfType<FunctionCallContent>());
    }

    private sealed class PaddedVocabularyGenerator : ITokenGenerator
    {
        public int VocabularySize => Tokenizer.VocabularySize + 9;

        public IReadOnlyList<GenerationResult> Generate(IReadOnlyList<IReadOnlyList<int>> prompts, SamplingOptions options, CancellationToken cancellationToken = default)
        {
            int[] ids = [.. Tokenizer.EncodeToIds("ok"), Tokenizer.VocabularySize + 3, .. Tokenizer.EncodeToIds("junk")];
            return prompts.Select(_ => new GenerationResult(ids, new float[ids.Length], FinishReason.Length)).ToArray();
        }
    }

    [Fact]
    public async Task Ids_past_the_tokenizer_end_the_reply_with_an_error_instead_of_throwing()
    {
        var client = new LocalPolicyChatClient(new PaddedVocabularyGenerator(), Template, Tokenizer);
        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")]);
        Assert.Equal("ok", response.Text);
        Assert.Single(response.Messages[0].Contents.OfType<ErrorContent>());
    }
}
