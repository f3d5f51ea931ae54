using Agentic.Core.Chat;
using Agentic.Core.ChatCompletion;
using Agentic.Core.Generation;
using Agentic.Core.Sampling;
using Agentic.Core.Tokenization;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace Agentic.Samples.LocalChat.Tests;

/// <summary>The sample's composition runs end to end offline, and a tool call from the policy invokes the calculator.</summary>
public sealed class LocalChatAppTests : IDisposable
{
    private static readonly ByteLevelTokenizer Tokenizer = ByteLevelTokenizer.CreateDefault();
    private readonly string _root = Path.Combine(Path.GetTempPath(), "agentic-localchat-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    /// <summary>A policy that calls <c>add</c> first and, once it sees the tool response, answers with it.</summary>
    private sealed class ScriptedToolCallingPolicy : ITokenGenerator
    {
        public int Calls { get; private set; }
        public int VocabularySize => Tokenizer.VocabularySize;

        public IReadOnlyList<GenerationResult> Generate(IReadOnlyList<IReadOnlyList<int>> prompts, SamplingOptions options, CancellationToken cancellationToken = default)
        {
            Calls++;
            return prompts.Select(p =>
            {
                var prompt = Tokenizer.Decode(p);
                var reply = prompt.Contains("<tool_response>", StringComparison.Ordinal)
                    ? "The sum is " + prompt[(prompt.LastIndexOf("<tool_response>", StringComparison.Ordinal) + "<tool_response>".Length)..].Split('<')[0].Trim() + "."
                    : "<tool_call>\n{\"name\": \"add\", \"arguments\": {\"a\": 123, \"b\": 456}}\n</tool_call>";
                var ids = Tokenizer.EncodeToIds(reply + ChatTemplate.TurnEndToken).ToArray();
                return new GenerationResult(ids, new float[ids.Length], FinishReason.Stop);
            }).ToArray();
        }
    }

    [Fact]
    public async Task A_tool_call_from_the_policy_invokes_the_calculator_through_function_invocation()
    {
        var policy = new ScriptedToolCallingPolicy();
        var services = new ServiceCollection();
        services.AddSingleton<Calculator>();
        services.AddChatClient(new LocalPolicyChatClient(policy, new ChatTemplate(Tokenizer), Tokenizer)).UseFunctionInvocation();
        await using var provider = services.BuildServiceProvider();
        var calculator = provider.GetRequiredService<Calculator>();

        var response = await LocalChatApp.AskAsync(provider.GetRequiredService<IChatClient>(), calculator, LocalChatApp.DefaultQuestion);

        Assert.Equal(1, calculator.Invocations);
        Assert.Equal(2, policy.Calls);
        Assert.Contains(response.Messages.SelectMany(m => m.Contents).OfType<FunctionResultContent>(), r => r.Result?.ToString() == "579");
        Assert.Equal("The sum is 579.", response.Text);
    }

    [Fact]
    public async Task The_di_composition_serves_an_exported_untrained_policy_offline()
    {
        var modelPath = UntrainedPolicy.Export(_root, seed: 3);
        var services = new ServiceCollection();
        services.AddLocalChat(_root, maxOutputTokens: 8);
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<IChatClient>();

        var response = await LocalChatApp.AskAsync(client, provider.GetRequiredService<Calculator>(), "What is 2+3?");

        Assert.True(File.Exists(modelPath));
        Assert.NotEmpty(response.Messages);
        Assert.InRange(response.Usage!.OutputTokenCount!.Value, 1, 64);
        Assert.Equal("agentic-local-chat", client.GetService<ChatClientMetadata>()!.DefaultModelId);
        Assert.NotNull(client.GetService<FunctionInvokingChatClient>());
    }

    [Fact]
    public async Task RunAsync_with_no_model_exports_an_untrained_policy_and_answers()
    {
        using var output = new StringWriter();
        Assert.Equal(0, await LocalChatApp.RunAsync([], output));
        var text = output.ToString();
        Assert.Contains("UNTRAINED", text, StringComparison.Ordinal);
        Assert.Contains("tool invocations:", text, StringComparison.Ordinal);
    }
}
