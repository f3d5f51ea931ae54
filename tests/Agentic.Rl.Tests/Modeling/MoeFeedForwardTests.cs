using Agentic.Rl.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Agentic.Rl.Tests.Modeling;

public class MoeFeedForwardTests
{
    [Fact]
    public void Every_token_is_routed_to_exactly_k_distinct_experts()
    {
        torch.manual_seed(1);
        var config = TinyModels.Config() with { NumExpertsPerToken = 3 };
        using var moe = new MoeFeedForward(config);
        using var x = randn(5, 7, config.HiddenSize);
        using var y = moe.forward(x);

        Assert.Equal(x.shape, y.shape);
        var counts = moe.TokensPerExpert;
        Assert.Equal(config.NumRoutableExperts, counts.Length);
        Assert.Equal(5 * 7 * 3, counts.Sum());
        // Top-k picks distinct experts, so no expert can receive more than one assignment per token.
        Assert.All(counts, c => Assert.InRange(c, 0, 5 * 7));
    }

    [Fact]
    public void Zero_experts_pass_the_input_through_unchanged()
    {
        torch.manual_seed(2);
        var config = TinyModels.Config() with { NumExpertsPerToken = 1, NumSharedExperts = 0 };
        using var moe = new MoeFeedForward(config);
        using (no_grad())
        {
            // Force every token onto a zero-computation expert.
            moe.RouterBias[config.NumExperts] = 1000f;
        }
        using var x = randn(3, 4, config.HiddenSize);
        using var y = moe.forward(x);

        Assert.True((x - y).abs().max().item<float>() == 0f, $"{(x - y).abs().max().item<float>()} {string.Join(",", moe.TokensPerExpert)} " + "with top-1 renormalised weight 1, a zero expert must return its input exactly");
        var stats = new RoutingStatistics(config.NumExperts, config.NumZeroExperts, [moe.TokensPerExpert]);
        Assert.Equal(1.0, stats.ZeroExpertShare);
    }

    [Fact]
    public void Router_bias_balancing_moves_load_toward_uniform()
    {
        torch.manual_seed(3);
        var config = TinyModels.Config() with { RouterBiasUpdateRate = 0.02f };
        using var moe = new MoeFeedForward(config);
        moe.train();
        using (no_grad())
        {
            // Skew the router: expert 0 scores high for every input.
            moe.RouterBias[0] = 2f;
            moe.RouterBias[1] = 1f;
        }
        using var x = randn(64, config.HiddenSize);

        double ImbalanceNow()
        {
            moe.ResetRoutingStatistics();
            using (no_grad()) moe.forward(x).Dispose();
            return new RoutingStatistics(config.NumExperts, config.NumZeroExperts, [moe.TokensPerExpert]).Imbalance(0);
        }

        double before = ImbalanceNow();
        for (int step = 0; step < 200; step++)
        {
            using (no_grad()) moe.forward(x).Dispose();
            moe.UpdateRouterBias();
        }
        double after = ImbalanceNow();

        Assert.True(before > 0.5, $"the skewed router should start imbalanced (cv {before:F3})");
        Assert.True(after < before / 3, $"bias balancing should cut the imbalance: before {before:F3}, after {after:F3}");
    }

    [Fact]
    public void Auxiliary_loss_is_produced_only_when_enabled()
    {
        torch.manual_seed(4);
        using var plain = new MoeCausalLM(TinyModels.Config(), seed: 1);
        using var withAux = new MoeCausalLM(TinyModels.Config() with { RouterAuxLossCoef = 0.01f }, seed: 1);
        using var ids = randint(0, 64, [2, 6], dtype: int64);
        plain.train();
        withAux.train();
        using var scope = NewDisposeScope();
        Assert.Null(plain.forward(new CausalLMInput(ids)).AuxiliaryLoss);
        var aux = withAux.forward(new CausalLMInput(ids)).AuxiliaryLoss;
        Assert.NotNull(aux);
        Assert.True(aux!.item<float>() > 0);
    }
}
