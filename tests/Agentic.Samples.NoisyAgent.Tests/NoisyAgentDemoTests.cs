using Agentic.Training.Noise;
using Agentic.Training.Tasks.ToolUse;

namespace Agentic.Samples.NoisyAgent.Tests;

public class NoisyAgentDemoTests
{
    [Fact]
    public async Task A_function_invoking_agent_runs_under_tool_and_user_noise_and_reports_every_injection()
    {
        var noisy = await NoisyAgentDemo.RunAsync(new ToolUseExpert(), NoiseLevel.High, count: 8, seed: 7);
        Assert.Equal(8, noisy.Count);
        Assert.Contains(noisy, r => r.Injections.Count > 0);
        Assert.Contains(noisy, r => r.Conversation.Any(m => m.Contents.OfType<Microsoft.Extensions.AI.FunctionCallContent>().Any()));
        Assert.Contains(noisy, r => r.Injections.Any(i => i.Source == NoiseSource.Tool));
        Assert.Contains(noisy, r => r.Injections.Any(i => i.Source == NoiseSource.User));
        // The scripted expert copes: it retries failed tools and asks the customer for what the noise withheld.
        Assert.True(noisy.Count(r => r.Success) >= 7, string.Join("\n", noisy.Where(r => !r.Success).Select(r => r.NoisyRequest)));

        var clean = await NoisyAgentDemo.RunAsync(new ToolUseExpert(), NoiseLevel.None, count: 8, seed: 7);
        Assert.All(clean, r => Assert.Empty(r.Injections));
        Assert.All(clean, r => Assert.True(r.Success, r.Request));
    }
}
