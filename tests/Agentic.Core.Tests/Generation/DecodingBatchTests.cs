using Agentic.Core.Generation;
using Agentic.Core.Sampling;

namespace Agentic.Core.Tests.Generation;

public class DecodingBatchTests
{
    [Fact]
    public void Prompts_are_left_padded_with_positions_counting_real_tokens_only()
    {
        var batch = new DecodingBatch([[5, 6, 7], [8]], new SamplingOptions { Temperature = 0, MaxNewTokens = 4 }, vocabularySize: 10, maxPositions: 16, padTokenId: 0);
        Assert.Equal(new long[] { 5, 6, 7, 0, 0, 8 }, batch.PromptIds);
        Assert.Equal(new long[] { 1, 1, 1, 0, 0, 1 }, batch.PromptMask);
        Assert.Equal(new long[] { 0, 1, 2, 0, 0, 0 }, batch.PromptPositions);
        Assert.Equal(new long[] { 3, 1 }, batch.NextPositions());
        Assert.Equal(new long[] { 4, 2 }, batch.NextPositions());
    }

    [Fact]
    public void Rows_stop_independently_and_finished_rows_feed_the_pad_id()
    {
        var batch = new DecodingBatch([[1], [2]], new SamplingOptions { Temperature = 0, MaxNewTokens = 3, StopTokenIds = [9] }, 10, 16, padTokenId: 0);
        void Favour(int row, int token)
        {
            Array.Clear(batch.Logits, row * 10, 10);
            batch.Logits[row * 10 + token] = 5;
        }

        Favour(0, 9); Favour(1, 4);
        Assert.Equal(new long[] { 9, 4 }, batch.SampleStep());
        Assert.False(batch.IsDone);
        Favour(0, 3); Favour(1, 4);
        Assert.Equal(new long[] { 0, 4 }, batch.SampleStep());
        Favour(1, 9);
        batch.SampleStep();
        Assert.True(batch.IsDone);

        var results = batch.Results();
        Assert.Equal([9], results[0].TokenIds);
        Assert.Equal(FinishReason.Stop, results[0].FinishReason);
        Assert.Equal([4, 4, 9], results[1].TokenIds);
        Assert.All(results.SelectMany(r => r.LogProbs), lp => Assert.True(lp <= 0));
    }

    [Fact]
    public void Bad_prompts_are_rejected()
    {
        var options = new SamplingOptions { MaxNewTokens = 4 };
        Assert.Throws<ArgumentException>(() => new DecodingBatch([[]], options, 10, 16, 0));
        Assert.Throws<ArgumentException>(() => new DecodingBatch([[10]], options, 10, 16, 0));
        Assert.Throws<ArgumentException>(() => new DecodingBatch([Enumerable.Repeat(1, 16).ToArray()], options, 10, 16, 0));
        Assert.Equal(0, new DecodingBatch([], options, 10, 16, 0).Size);
    }
}
