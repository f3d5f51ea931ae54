#pragma warning disable AGENTIC030 // The noise curriculum is experimental.
using Agentic.Core.Randomness;
using Agentic.Training.Noise;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Agentic.Training.Tests.Noise;

[Properties(Replay = "(1063525984135216,2918262297)")]
public class NoiseCurriculumTests
{
    [Property(MaxTest = 200)]
    public bool The_noisy_subset_has_the_configured_size_and_depends_only_on_the_seed(int seed, NonNegativeInt size, NormalFloat fraction)
    {
        int groupSize = size.Get % 33;
        double f = Math.Abs(fraction.Get) % 1.0;
        var options = new NoiseCurriculumOptions { NoisyFraction = f, Seed = (ulong)(uint)seed };
        var a = new NoiseCurriculum(options).SelectNoisyRollouts(groupSize);
        var b = new NoiseCurriculum(options).SelectNoisyRollouts(groupSize);
        int expected = (int)Math.Round(f * groupSize, MidpointRounding.AwayFromZero);
        if (groupSize >= 2 && f > 0)
        {
            expected = Math.Clamp(expected, 1, groupSize - 1);
        }

        return a.SequenceEqual(b) && a.Count == groupSize && a.Count(x => x) == expected;
    }

    [Property(MaxTest = 300)]
    public Property The_level_rises_exactly_when_the_gap_closes_above_the_minimum_clean_success(NonNegativeInt cleanSuccesses, NonNegativeInt noisySuccesses, PositiveInt window, NormalFloat threshold, NormalFloat minimum)
    {
        int w = 1 + (window.Get % 40);
        int k = cleanSuccesses.Get % (w + 1);
        int m = noisySuccesses.Get % (w + 1);
        double t = Math.Abs(threshold.Get) % 0.5;
        double floor = Math.Abs(minimum.Get) % 0.6;
        var curriculum = new NoiseCurriculum(new NoiseCurriculumOptions { Window = w, GapThreshold = t, MinCleanSuccess = floor, InitialLevel = NoiseLevel.Low });
        bool raisedEarly = false;
        for (int i = 0; i < w; i++)
        {
            raisedEarly |= curriculum.Record(noisy: false, success: i < k);
        }

        for (int i = 0; i < w - 1; i++)
        {
            raisedEarly |= curriculum.Record(noisy: true, success: i < m);
        }

        bool raised = curriculum.Record(noisy: true, success: w - 1 < m);
        bool expected = k / (double)w >= floor && (k / (double)w) - (m / (double)w) <= t;
        return (!raisedEarly).Label("no decision before both windows are full")
            .And((raised == expected).Label($"raised {raised}, gap {(k - m) / (double)w}, threshold {t}"))
            .And((curriculum.Level == (expected ? NoiseLevel.Medium : NoiseLevel.Low)).Label("level"));
    }

    [Fact]
    public void The_level_climbs_to_the_maximum_and_stops()
    {
        var raises = new List<(NoiseLevel, NoiseLevel)>();
        var curriculum = new RecordingCurriculum(new NoiseCurriculumOptions { Window = 4, GapThreshold = 0.1, InitialLevel = NoiseLevel.None, MaxLevel = NoiseLevel.Medium }, raises);
        Assert.All(curriculum.SelectNoisyRollouts(8), noisy => Assert.False(noisy)); // Level None: nothing is noisy.
        for (int i = 0; i < 100; i++)
        {
            curriculum.Record(noisy: i % 2 == 0, success: true);
        }

        Assert.Equal(NoiseLevel.Medium, curriculum.Level);
        Assert.Equal([(NoiseLevel.None, NoiseLevel.Low), (NoiseLevel.Low, NoiseLevel.Medium)], raises);
        Assert.Equal(2, curriculum.LevelRaises);
        Assert.Equal(0.35, new NoiseCurriculum(new() { InitialLevel = NoiseLevel.High }).CreateToolNoiseOptions(1).InjectionRate);
    }

    [Fact]
    public void A_wide_gap_keeps_the_level()
    {
        var curriculum = new NoiseCurriculum(new NoiseCurriculumOptions { Window = 8, GapThreshold = 0.1 });
        for (int i = 0; i < 200; i++)
        {
            curriculum.Record(noisy: i % 2 == 0, success: i % 2 == 1 || i % 8 == 0);
        }

        Assert.Equal(NoiseLevel.Low, curriculum.Level);
        Assert.Equal(1.0, curriculum.CleanSuccessRate);
        Assert.True(curriculum.NoisySuccessRate < 0.5);
    }

    [Property(MaxTest = 100)]
    public bool The_state_round_trips_through_json(int seed, NonNegativeInt steps)
    {
        var random = new DeterministicRandom((ulong)(uint)seed);
        var options = new NoiseCurriculumOptions { Window = 6, GapThreshold = 0.2, Seed = (ulong)(uint)seed };
        var original = new NoiseCurriculum(options);
        for (int i = 0; i < steps.Get % 80; i++)
        {
            if (random.Next(4) == 0)
            {
                original.SelectNoisyRollouts(random.Next(1, 9));
            }
            else
            {
                original.Record(random.Next(2) == 0, random.Next(3) != 0);
            }
        }

        string json = original.ToJson();
        var restored = new NoiseCurriculum(options);
        restored.RestoreJson(json);
        bool same = restored.ToJson() == json && restored.Level == original.Level && restored.LevelRaises == original.LevelRaises;
        for (int i = 0; i < 5; i++)
        {
            same &= original.SelectNoisyRollouts(8).SequenceEqual(restored.SelectNoisyRollouts(8));
            same &= original.Record(i % 2 == 0, i % 3 == 0) == restored.Record(i % 2 == 0, i % 3 == 0);
        }

        return same && original.ToJson() == restored.ToJson();
    }

    [Fact]
    public void Invalid_options_and_states_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new NoiseCurriculum(new() { NoisyFraction = 1.5 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NoiseCurriculum(new() { Window = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NoiseCurriculum(new() { InitialLevel = NoiseLevel.High, MaxLevel = NoiseLevel.Low }));
        var curriculum = new NoiseCurriculum();
        Assert.Throws<ArgumentException>(() => curriculum.SetState(curriculum.GetState() with { Random = default }));
        Assert.Throws<System.Text.Json.JsonException>(() => curriculum.RestoreJson("null"));
    }

    private sealed class RecordingCurriculum(NoiseCurriculumOptions options, List<(NoiseLevel, NoiseLevel)> raises) : NoiseCurriculum(options)
    {
        protected override void OnLevelRaised(NoiseLevel previous, NoiseLevel current) => raises.Add((previous, current));
    }
}
