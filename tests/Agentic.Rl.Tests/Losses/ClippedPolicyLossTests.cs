using Agentic.Rl.Losses;
using static TorchSharp.torch;

namespace Agentic.Rl.Tests.Losses;

public class ClippedPolicyLossTests
{
    private static (double Loss, double Grad, double Clipped) One(double ratio, double advantage, PolicyLossOptions? options = null)
    {
        using var scope = NewDisposeScope();
        var logp = tensor(new[] { (float)Math.Log(ratio) }, [1, 1]).requires_grad_();
        var old = zeros(1, 1);
        var output = new ClippedPolicyLoss(options).Compute(new PolicyLossInput(logp, old, full(1, 1, (float)advantage), ones(1, 1)), tensor(1f));
        output.Loss.backward();
        return (output.Loss.item<float>(), logp.grad!.item<float>(), output.ClippedTokens);
    }

    [Theory]
    [InlineData(1.0, 1.0, -1.0, false)]
    [InlineData(1.1, 1.0, -1.1, false)]      // inside the bounds
    [InlineData(1.5, 1.0, -1.28, true)]      // positive advantage: clipped above at 1 + 0.28 (clip-higher)
    [InlineData(0.5, 1.0, -0.5, false)]      // positive advantage, low ratio: the unclipped branch is the max
    [InlineData(0.5, -1.0, 0.8, true)]       // negative advantage: clipped below at 1 - 0.2
    [InlineData(1.5, -1.0, 1.5, false)]      // negative advantage, high ratio: never clipped (pessimistic bound)
    public void Surrogate_follows_the_asymmetric_clip(double ratio, double advantage, double expected, bool clipped)
    {
        var (loss, grad, clippedTokens) = One(ratio, advantage);
        Assert.Equal(expected, loss, 4);
        Assert.Equal(clipped ? 1 : 0, clippedTokens);
        // A clipped token has no gradient; an unclipped one has d(-A r)/d log p = -A r.
        Assert.Equal(clipped ? 0 : -advantage * ratio, grad, 4);
    }

    [Fact]
    public void Masked_tokens_carry_no_loss_and_no_gradient()
    {
        using var scope = NewDisposeScope();
        var logp = tensor(new[] { -1f, -2f, -0.5f }, [1, 3]).requires_grad_();
        var mask = tensor(new[] { 1f, 0f, 1f }, [1, 3]);
        var output = new ClippedPolicyLoss().Compute(new PolicyLossInput(logp, logp.detach().clone(), full(1, 3, 2f), mask), tensor(2f));
        output.Loss.backward();
        Assert.Equal(-2.0, output.Loss.item<float>(), 5);   // (-2 * 1 - 2 * 1) / 2
        Assert.Equal([-1f, 0f, -1f], logp.grad!.data<float>().ToArray());
    }

    [Fact]
    public void K3_kl_is_zero_at_the_reference_and_positive_elsewhere()
    {
        using var scope = NewDisposeScope();
        var options = new PolicyLossOptions { KlCoefficient = 1 };
        var logp = tensor(new[] { -1f, -1f }, [1, 2]);
        var same = new ClippedPolicyLoss(options).Compute(new PolicyLossInput(logp, logp, zeros(1, 2), ones(1, 2), ReferenceLogProbs: logp), tensor(2f));
        Assert.Equal(0, same.KlSum, 6);
        var other = new ClippedPolicyLoss(options).Compute(new PolicyLossInput(logp, logp, zeros(1, 2), ones(1, 2), ReferenceLogProbs: tensor(new[] { -2f, -0.5f }, [1, 2])), tensor(2f));
        double expected = (Math.Exp(-1) - (-1) - 1) + (Math.Exp(0.5) - 0.5 - 1);
        Assert.Equal(expected, other.KlSum, 4);
        Assert.Equal(expected / 2, other.Loss.item<float>(), 4);
    }

    [Fact]
    public void Importance_weights_scale_token_losses()
    {
        using var scope = NewDisposeScope();
        var logp = zeros(1, 2);
        var output = new ClippedPolicyLoss().Compute(new PolicyLossInput(logp, logp, ones(1, 2), ones(1, 2), ImportanceWeights: tensor(new[] { 0.5f, 2f }, [1, 2])), tensor(1f));
        Assert.Equal(-2.5, output.Loss.item<float>(), 5);
    }
}
