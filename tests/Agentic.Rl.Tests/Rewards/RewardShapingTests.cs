using Agentic.Rl.Rewards;
using Microsoft.Extensions.DependencyInjection;

namespace Agentic.Rl.Tests.Rewards;

public sealed class RewardShapingTests
{
    private static Dictionary<string, double> Weights(CompositeReward reward) => reward.Terms.ToDictionary(t => t.Shaper.Name, t => t.Weight);

    [Theory]
    [InlineData("tooluse")]
    [InlineData("textworld")]
    [InlineData("shop")]
    [InlineData("longcontext")]
    public void Default_UsesTheOutcomeWithSmallShapingTerms(string suite)
    {
        var weights = Weights(RewardShaping.Default(suite));
        Assert.Equal(new Dictionary<string, double> { ["outcome"] = 1, ["format"] = 0.1, ["invalid_action"] = 0.2, ["noise_aware"] = 1 }, weights);
    }

    [Theory]
    [InlineData("searchqa")]
    [InlineData("SearchQA")]
    public void Default_SearchQa_UsesTheRetrievalReward(string suite)
    {
        var reward = RewardShaping.Default(suite);
        Assert.Equal(new Dictionary<string, double> { ["retrieval"] = 1, ["format"] = 0.1, ["invalid_action"] = 0.2, ["noise_aware"] = 1 }, Weights(reward));
        var refinedOnly = Trajectories.Make(info: new Dictionary<string, double> { ["answer_f1"] = 0, ["gold_in_refine"] = 1, ["format_ok"] = 1 });
        Assert.Equal(0.2, reward.Compute(refinedOnly).Total, 12);
    }

    [Fact]
    public void Create_AddsLengthPenaltyExtraTermsAndClamp()
    {
        var options = new RewardShapingOptions { Suite = "shop", LengthPenalty = new LengthPenaltyOptions { MaxTokens = 10, Cache = 0 }, MaxTotal = 1, NoiseAwareWeight = 0 };
        options.ExtraTerms.Add(new RewardTerm(new RewardShaperTests.ConstantShaper("bonus", 1), 0.5));
        var reward = RewardShaping.Create(options);
        Assert.Equal(["outcome", "format", "invalid_action", "length", "bonus"], reward.Terms.Select(t => t.Shaper.Name));
        var overlong = Trajectories.Make(info: Trajectories.Success(true), lossMask: [.. Enumerable.Repeat(true, 20)]);
        var breakdown = reward.Compute(overlong);
        Assert.Equal(0.6, breakdown.Total, 12);
        Assert.Equal(1, reward.Compute(Trajectories.Make(info: Trajectories.Success(true))).Total);
        Assert.Equal(-1, breakdown.Components["length"]);
    }

    [Fact]
    public void AddRewardShaping_RegistersTheComposite()
    {
        var services = new ServiceCollection();
        services.AddRewardShaping(o => o.Suite = "searchqa");
        using var provider = services.BuildServiceProvider();
        var reward = provider.GetRequiredService<CompositeReward>();
        Assert.Same(reward, provider.GetRequiredService<CompositeReward>());
        Assert.Contains(reward.Terms, t => t.Shaper is RetrievalReward);
    }

    [Fact]
    public void AddRewardShaping_InvalidOptions_FailAtRegistration()
    {
        var services = new ServiceCollection();
        Assert.Throws<ArgumentException>(() => services.AddRewardShaping(o => o.FormatWeight = double.NaN));
        Assert.Throws<ArgumentException>(() => services.AddRewardShaping(o => (o.MinTotal, o.MaxTotal) = (1, 0)));
    }
}
