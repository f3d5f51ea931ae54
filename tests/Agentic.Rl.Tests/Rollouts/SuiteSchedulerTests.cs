using Agentic.Rl.Rollouts;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Agentic.Rl.Tests.Rollouts;

[Properties(Replay = "(4203692727929468,2643477975)")]
public class SuiteSchedulerTests
{
    private static readonly string[] s_suites = ["a", "b", "c", "d"];

    [Property(MaxTest = 300)]
    public bool Shares_stay_within_their_bounds_and_sum_to_one(NonEmptyArray<NormalFloat> rates, NormalFloat minimum, NormalFloat maximum)
    {
        double min = Math.Abs(minimum.Get) % 0.25;          // feasible for four suites: min * 4 <= 1
        double max = 0.25 + Math.Abs(maximum.Get) % 0.75;   // and max * 4 >= 1
        var scheduler = new SuiteScheduler(s_suites, new SuiteSchedulerOptions { MinShare = min, MaxShare = max });
        var values = rates.Get.Select(r => Math.Abs(r.Get) % 1.0).ToArray();
        for (int i = 0; i < values.Length; i++) scheduler.Record(s_suites[i % 4], values[i]);
        var shares = scheduler.Shares();
        return Math.Abs(shares.Sum() - 1) < 1e-9 && shares.All(s => s >= min - 1e-9 && s <= max + 1e-9);
    }

    [Fact]
    public void Suites_where_the_policy_is_learning_get_more_of_the_budget()
    {
        var scheduler = new SuiteScheduler(["hopeless", "learning", "saturated"], new SuiteSchedulerOptions { MinShare = 0.1, MaxShare = 0.8, Smoothing = 1 });
        scheduler.Record("hopeless", 0);
        scheduler.Record("learning", 0.5);
        scheduler.Record("saturated", 1);
        var shares = scheduler.Shares();
        Assert.True(shares[1] > shares[0] && shares[1] > shares[2]);
        Assert.Equal(0.1, shares[0], 9);
        Assert.Equal(0.1, shares[2], 9);

        var picks = new int[3];
        var random = new Random(5);
        for (int i = 0; i < 2000; i++) picks[scheduler.Next(random)]++;
        Assert.InRange(picks[1] / 2000.0, 0.75, 0.85);
    }

    [Fact]
    public void Unseen_suites_share_equally_and_state_round_trips()
    {
        var scheduler = new SuiteScheduler(s_suites);
        Assert.All(scheduler.Shares(), s => Assert.Equal(0.25, s, 9));
        scheduler.Record("b", 0.3);
        var copy = new SuiteScheduler(s_suites);
        // Through JSON, as in a checkpoint: suites not seen yet must survive it (NaN would not).
        copy.SetState(System.Text.Json.JsonSerializer.Deserialize<double[]>(System.Text.Json.JsonSerializer.Serialize(scheduler.GetState()))!);
        Assert.Equal(scheduler.Shares(), copy.Shares());
        Assert.Equal([null, 0.3, null, null], copy.Success);
        Assert.Throws<ArgumentException>(() => scheduler.Record("zz", 0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => scheduler.Record("a", 1.5));
    }
}
