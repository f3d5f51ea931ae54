using Agentic.Core.ChatCompletion;
using Agentic.Core.Inference;
using Agentic.Core.Tokenization;
using Agentic.Rl.Export;
using Agentic.Rl.Modeling;
using Agentic.Rl.Tests.Modeling;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace Agentic.Rl.Tests.Export;

public sealed class AgenticChatClientRegistrationTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"agentic-di-{Guid.NewGuid():N}");

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task AddAgenticChatClient_serves_an_exported_policy_through_the_builder_pipeline()
    {
        var tokenizer = ByteLevelTokenizer.CreateDefault();
        using (var model = new MoeCausalLM(TinyModels.Config(vocab: 288) with { MaxPositionEmbeddings = 512 }, seed: 3))
        {
            OnnxPolicyExporter.Export(model, Path.Combine(_dir, "model.onnx"), new OnnxExportOptions { Tokenizer = tokenizer });
        }

        var services = new ServiceCollection();
        services.AddAgenticChatClient(o => o.ModelPath = _dir, c => c.ModelId = "tiny")
            .UseHeavyThinking(o => { o.Width = 2; o.Aggregation = HeavyThinkingAggregation.MajorityVote; })
            .UseFunctionInvocation();
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<IChatClient>();

        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "What is 1+2?")], new ChatOptions { MaxOutputTokens = 8, Seed = 1 });

        Assert.NotNull(response.Messages.Single());
        Assert.InRange(response.Usage!.OutputTokenCount!.Value, 2, 16);
        Assert.Equal("tiny", client.GetService<ChatClientMetadata>()!.DefaultModelId);
        Assert.Same(provider.GetRequiredService<OnnxPolicySession>(), client.GetService<Agentic.Core.Generation.ITokenGenerator>());
    }
}
