using Agentic.Core.Sampling;

namespace Agentic.Core.Tests.Sampling;

public class StopSequenceMatcherTests
{
    private static readonly StopSequenceMatcher Matcher = new(new SamplingOptions
    {
        StopTokenIds = [2],
        StopSequences = [[7, 8, 9], [8, 9], [5]],
    });

    [Theory]
    [InlineData(new int[0], false, 0)]
    [InlineData(new[] { 1, 3 }, false, 0)]
    [InlineData(new[] { 1, 2 }, true, 1)]
    [InlineData(new[] { 2, 1 }, false, 0)]
    [InlineData(new[] { 1, 5 }, true, 1)]
    [InlineData(new[] { 1, 8, 9 }, true, 2)]
    [InlineData(new[] { 7, 8, 9 }, true, 3)]
    [InlineData(new[] { 7, 8 }, false, 0)]
    [InlineData(new[] { 9 }, false, 0)]
    public void MatchesStopTokensAndSequencesOnIds(int[] generated, bool stop, int length)
    {
        Assert.Equal(stop, Matcher.IsStop(generated, out int matchLength));
        Assert.Equal(length, matchLength);
    }

    [Fact]
    public void EmptyOptionsNeverStop()
    {
        var matcher = new StopSequenceMatcher(new SamplingOptions());
        Assert.True(matcher.IsEmpty);
        Assert.False(matcher.IsStop([1, 2, 3], out _));
    }

    [Fact]
    public void OptionsAreCopied()
    {
        List<int> ids = [4];
        var matcher = new StopSequenceMatcher(new SamplingOptions { StopTokenIds = ids });
        ids[0] = 6;
        Assert.True(matcher.IsStop([4], out _));
        Assert.False(matcher.IsStop([6], out _));
    }
}
